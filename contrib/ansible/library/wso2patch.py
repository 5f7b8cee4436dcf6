#!/usr/bin/python
"""Ansible module: patch one WSO2 node's home with the wso2patch CLI (its --json output and exit codes)."""

from __future__ import annotations

import json
import os

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: wso2patch
short_description: Cluster a WSO2 Carbon 4.4.x / Message Broker node with wso2patch
description:
  - Runs C(wso2patch apply --node N --yes --json) on the managed host, which patches the node's
    product home from the cluster spec (Hazelcast clustering, well-known members, host names,
    port offset, MySQL datasources, registry mounts, user store, thrift host).
  - Idempotent. C(changed) is true only when wso2patch wrote something (JSON status C(applied));
    a home that is already patched reports C(ok) (status C(already)).
  - In check mode runs C(wso2patch diff --node N --json) instead, which writes nothing; the
    unified diff of every file that would change is returned as the task's diff (shown with C(--diff)).
  - wso2patch and the cluster spec must be present on the managed host. wso2patch masks passwords
    in everything it prints; this module never asks it to reveal them.
version_added: "1.0.0"
author:
  - wso2patch contributors
requirements:
  - wso2patch (C(pip install wso2patch)) on the managed host, Python 3.11 or later
options:
  node:
    description:
      - The node id, as in the spec's C([[node]]) table, whose values this host's home gets.
    type: int
    required: true
  home:
    description:
      - The product home (MB_HOME / CARBON_HOME) on the managed host.
      - Defaults to the node's C(home) in the spec.
    type: path
  spec:
    description:
      - The cluster spec (C(wso2patch.toml)) on the managed host.
      - Defaults to C($WSO2PATCH_SPEC), else C(./wso2patch.toml) in the task's working directory,
        as wso2patch itself resolves it; set it explicitly.
    type: path
  executable:
    description:
      - The wso2patch command, either a name looked up on C(PATH) or a path (for example a virtualenv's
        C(bin/wso2patch)).
    type: str
    default: wso2patch
  jdbc_driver:
    description:
      - A MySQL Connector/J jar on the managed host, copied into C(repository/components/lib) in the same
        transaction as the XML patches (C(--jdbc-driver)).
      - In check mode the module reports the copy as a change when the jar is missing from the home or
        differs from it (wso2patch's C(diff) has no C(--jdbc-driver)); the jar itself is validated by the real run.
    type: path
attributes:
  check_mode:
    support: full
    description: Runs C(wso2patch diff), which writes nothing.
  diff_mode:
    support: full
    description: Returns wso2patch's unified diff per file, with passwords masked.
notes:
  - Exit codes of wso2patch are documented in its README. C(diff) exits 1 when changes are pending, which
    this module maps to C(changed); every other non-zero exit fails the task with wso2patch's one-line error.
  - The spec may name the database password through C(password_env); set that variable with the task's
    C(environment) keyword (and C(no_log)) so that it reaches wso2patch on the managed host.
  - Undo an apply with C(wso2patch rollback --home HOME --yes) on the host; the transaction id is returned.
  - wso2patch's README documents the commands, the cluster spec, the JSON schema C(wso2patch/2) and the exit codes;
    C(contrib/ansible/README.md) documents this module.
"""

EXAMPLES = r"""
- name: Patch this host's WSO2 node
  wso2patch:
    node: "{{ wso2patch_node }}"
    home: "{{ wso2patch_home }}"
    spec: /etc/wso2patch/wso2patch.toml

- name: With the MySQL driver, wso2patch from a virtualenv
  wso2patch:
    node: 2
    home: /opt/mb2
    spec: /etc/wso2patch/wso2patch.toml
    executable: /opt/wso2patch/venv/bin/wso2patch
    jdbc_driver: /opt/drivers/mysql-connector-java-5.1.49.jar

- name: What would change (writes nothing)
  wso2patch:
    node: 1
    spec: /etc/wso2patch/wso2patch.toml
  check_mode: true
  diff: true
"""

RETURN = r"""
node:
  description: The node id.
  returned: always
  type: int
  sample: 2
home:
  description: The product home that was patched (or checked), as wso2patch resolved it.
  returned: success
  type: str
  sample: /opt/mb2
status:
  description:
    - wso2patch's JSON status for the node. C(applied) or C(already) for apply; C(pending) or C(clean) in
      check mode.
  returned: success
  type: str
  sample: applied
files:
  description:
    - Paths, relative to the home, of the files written (apply) or that would be written (check mode).
      Empty when nothing changed.
  returned: success
  type: list
  elements: str
  sample: [repository/conf/axis2/axis2.xml, repository/conf/carbon.xml]
transaction:
  description:
    - The id of the transaction recorded in C(HOME/.wso2patch/journal.json) (see C(wso2patch history));
      null when nothing was written.
  returned: success
  type: str
  sample: 20240501T101500Z-1a2b3c
cmd:
  description: The wso2patch command line that was run.
  returned: always
  type: list
  elements: str
  sample: [wso2patch, apply, --node, "2", --home, /opt/mb2, --yes, --json]
rc:
  description:
    - wso2patch's exit code when the task fails. Not returned on success, where C(changed) says it all
      (C(wso2patch diff) exits 1 when changes are pending, and Ansible fails every result with a non-zero rc).
  returned: failure
  type: int
  sample: 3
stderr:
  description: wso2patch's standard error (its one-line error on failure).
  returned: failure
  type: str
"""

SCHEMA = "wso2patch/2"


def _one_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _resolve_executable(module: AnsibleModule, executable: str) -> str:
    if os.sep in executable:
        path = os.path.expanduser(executable)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            module.fail_json(msg=f"wso2patch executable not found or not executable: {path}")
        return path
    return str(module.get_bin_path(executable, required=True))


def _binary_note(rel: str, size: int, new: bool) -> str:
    """How wso2patch itself shows a copied binary file in its human diff."""
    return f"{'new file' if new else 'replaced file'}: {rel} (binary, {size} bytes)\n"


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "node": {"type": "int", "required": True},
            "home": {"type": "path"},
            "spec": {"type": "path"},
            "executable": {"type": "str", "default": "wso2patch"},
            "jdbc_driver": {"type": "path"},
        },
        supports_check_mode=True,
    )
    p = module.params
    command = "diff" if module.check_mode else "apply"
    argv = [_resolve_executable(module, p["executable"]), command, "--node", str(p["node"])]
    if p["home"]:
        argv += ["--home", p["home"]]
    if p["spec"]:
        argv += ["--spec", p["spec"]]
    if p["jdbc_driver"]:  # diff previews the jar copy exactly as apply will do it
        argv += ["--jdbc-driver", p["jdbc_driver"]]
    if not module.check_mode:
        argv.append("--yes")
    argv.append("--json")

    # An argv list, never a shell. wso2patch asks nothing with --yes, and has no terminal here anyway.
    rc, stdout, stderr = module.run_command(argv, check_rc=False, environ_update={"NO_COLOR": "1"})
    # No "rc" in a success: Ansible fails any task whose result holds a non-zero rc, and diff's 1 means pending.
    result: dict[str, object] = {"changed": False, "node": p["node"], "cmd": argv}

    try:
        doc = json.loads(stdout)
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
    except ValueError:
        doc = None
    error = doc.get("error") if doc else None
    allowed = (0, 1) if module.check_mode else (0,)
    if doc is None or error or rc not in allowed:
        if isinstance(error, dict) and error.get("message"):
            msg = str(error["message"])
        else:  # a crash prints no JSON: its one line is on stderr
            msg = _one_line(stderr) or f"wso2patch {command} exited {rc} without a JSON document on stdout"
        module.fail_json(msg=msg, rc=rc, stderr=stderr, **result)
    if doc.get("schema") != SCHEMA:
        module.fail_json(msg=f"wso2patch printed JSON schema {doc.get('schema')!r}; this module reads {SCHEMA!r}",
                         rc=rc, **result)
    for warning in doc.get("warnings") or []:
        module.warn(str(warning))

    nodes = [n for n in doc.get("nodes") or [] if n.get("node") == p["node"]]
    if len(nodes) != 1:
        module.fail_json(msg=f"wso2patch {command} --json reported {len(nodes)} entries for node {p['node']}",
                         rc=rc, **result)
    entry = nodes[0]
    changed_files = [f for f in entry.get("files") or [] if f.get("changed")]
    diffs = [{"prepared": f["diff"]} for f in changed_files if f.get("diff")]
    tx = entry.get("transaction") or {}
    result.update(home=entry.get("home"), status=entry.get("status"), transaction=tx.get("id"))

    copies = [c for c in entry.get("copies") or [] if c.get("changed")]
    diffs += [{"prepared": _binary_note(str(c["path"]), int(c.get("bytes", 0)), bool(c.get("new")))} for c in copies]

    if module.check_mode:
        files = [str(f["path"]) for f in changed_files] + [str(c["path"]) for c in copies]
        result["changed"] = rc == 1
    else:
        status = entry.get("status")
        if status not in ("applied", "already"):
            module.fail_json(msg=f"wso2patch apply --json reported status {status!r} for node {p['node']}",
                             rc=rc, **result)
        # what was written: the transaction's record (XML files and the driver jar alike)
        files = [str(f["path"]) for f in tx.get("files") or []]
        result["changed"] = status == "applied"
    result["files"] = files
    if module._diff and diffs:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
