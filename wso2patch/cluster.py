"""The cross-node rules of `check` live in wso2patch.checks; this name stays for the command layer."""

from wso2patch.checks import Finding, check_cluster, check_home_alone, check_homes

__all__ = ["Finding", "check_cluster", "check_home_alone", "check_homes"]
