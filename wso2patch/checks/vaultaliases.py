"""vault-aliases: every svns:secretAlias has an encrypted entry in cipher-text.properties, and every encrypted entry
is referenced (Carbon's file repository decrypts every entry at start-up, referenced or not; a stock `[plain]`
placeholder nobody uses is only a warning). A finding names the alias, the element and the line, never a value.
"""

from __future__ import annotations

from wso2patch.checks.vaultfiles import SVNS, CipherEntry, Files, Use, cipher_entries, lookups
from wso2patch.checks.vaultreport import FIX, Report
from wso2patch.effective import Where


def check(r: Report, files: Files, rel: str, uses: list[Use], in_use: bool) -> None:
    props = files.properties(rel)
    if props is None and any(u[0] == rel for u in files.unreadable):
        return  # reported as unreadable: every alias would be reported missing too
    entries = cipher_entries(props or {})
    bad = 0
    for u in uses:
        where = Where(u.file, u.element, u.line)
        e = entries.get(u.alias)
        if u.namespace != SVNS:
            problem = f"secretAlias {u.alias} is in namespace {u.namespace or '(none)'}, which Carbon ignores " \
                      f"(the element's text is used as it is): bind the prefix to {SVNS}"
        elif e is None:
            problem = f"alias {u.alias} has no entry in {rel}: Carbon uses the element's text as it is"
        elif e.kind in ("encrypted", "reference"):
            continue
        else:
            problem = f"alias {u.alias} is {_KIND[e.kind]} in {rel}:{e.line}, not encrypted: {FIX}"
        bad += 1
        r.add("error", "vault-aliases", problem, where)
    used = {u.alias for u in uses} | lookups(files)
    unused = [e for e in entries.values() if e.alias not in used]
    for e in unused:
        if e.kind in ("encrypted", "malformed"):
            bad += 1
            what = "an encrypted entry" if e.kind == "encrypted" else "an entry that is not base64"
            r.add("error", "vault-aliases", f"alias {e.alias}: {what} that no svns:secretAlias references (Carbon "
                  "decrypts every entry at start-up): remove it, or reference it", Where(rel, e.alias, e.line))
    placeholders = [e for e in unused if e.kind == "placeholder"]
    if placeholders and in_use:
        r.add("warning", "vault-aliases", f"{len(placeholders)} unused plain-text placeholder"
              f"{'s' * (len(placeholders) > 1)} ({_names(placeholders)}), as WSO2 ships them: "
              f"{'passwords are' if len(placeholders) > 1 else 'a password is'} in clear in this file; remove "
              "them, or encrypt them (with wso2patch: [vault] include_stock = true)",
              Where(rel, placeholders[0].alias, placeholders[0].line))
    if not bad:
        r.add("ok", "vault-aliases", f"{len(uses)} secret alias{'es' * (len(uses) != 1)}, each encrypted in {rel}"
              if uses else "no svns:secretAlias in the config files" if in_use else
              "no svns:secretAlias: the secure vault is not in use", None)


_KIND = {"placeholder": "a plain-text placeholder", "empty": "empty", "malformed": "not base64 (no cipher text)"}


def _names(entries: list[CipherEntry]) -> str:
    names = [e.alias for e in entries]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
