"""The JSON documents that --json prints: their schema id, and the JSON Schema file that describes them (shipped
in the package beside this module; README: JSON output)."""

from __future__ import annotations

from pathlib import Path

SCHEMA = "wso2patch/2"
SCHEMA_FILE = Path(__file__).resolve().parent / "wso2patch-2.schema.json"
