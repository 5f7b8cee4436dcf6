"""vault-config: when the vault is in use, secret-conf.properties enables the file repository and names an identity
keystore that exists inside this home (ciphertool.sh writes the absolute path of the home it ran in, so a copied or
moved home silently decrypts with another home's keystore, or not at all).
"""

from __future__ import annotations

from collections.abc import Mapping

from wso2patch.checks import vaultidentity
from wso2patch.checks.vaultfiles import Files, absolute, inside, other_home, resolve
from wso2patch.checks.vaultreport import Report
from wso2patch.effective import Where


def check(r: Report, files: Files, conf: str, prefer_internal: bool = False) -> str | None:
    """secret-conf.properties: the file repository on, the identity keystore inside this home and the one carbon.xml
    encrypts with (prefer_internal: its InternalKeyStore, see vaultidentity). Returns the cipher-text file it names,
    relative to the home (None: it names one that cannot be judged)."""
    rel = f"{conf}/security/secret-conf.properties"
    default = f"{conf}/security/cipher-text.properties"
    props = files.properties(rel)
    if props is None:
        r.add("error", "vault-config", f"{rel} is missing: Carbon starts no secret repository, so no alias is "
              "resolved; write it as ciphertool.sh -Dconfigure does, or apply with [vault] enabled = true",
              Where(rel, "", None))
        return default
    bad = False
    repos, line = props.get("secretRepositories", ("", None))
    if "file" not in [x.strip() for x in repos.split(",")]:
        bad = True
        r.add("error", "vault-config", "secretRepositories does not list the file-based repository (file): the "
              "aliases are not resolved", Where(rel, "secretRepositories", line))
    provider, pline = props.get("secretRepositories.file.provider", ("", line))
    if not provider.strip().endswith(".FileBaseSecretRepositoryProvider"):
        bad = True
        r.add("error", "vault-config", "secretRepositories.file.provider is not a FileBaseSecretRepositoryProvider",
              Where(rel, "secretRepositories.file.provider", pline))
    keystore_bad = _keystore(r, files, rel, props)
    location, lline = props.get("secretRepositories.file.location", ("", None))
    cipher = inside(files.home, location, files.base) if location.strip() else default
    if cipher is None:
        bad = True
        where = resolve(files.home, location, files.base)
        r.add("error", "vault-config", f"secretRepositories.file.location points at {where}, "
              f"outside this home ({absolute(files.home)}): point it at {default}",
              Where(rel, "secretRepositories.file.location", lline))
    bad |= keystore_bad | vaultidentity.check(r, files, conf, rel, props, cipher, location_ok=not keystore_bad,
                                              prefer_internal=prefer_internal)
    if not bad:
        r.add("ok", "vault-config", f"the file repository decrypts {cipher} with "
              f"{props['keystore.identity.location'][0].strip()}", Where(rel, "", None))
    return cipher


def _keystore(r: Report, files: Files, rel: str, props: Mapping[str, tuple[str, int]]) -> bool:
    """True when the identity keystore is not a file inside this home (reported)."""
    key = "keystore.identity.location"
    location, line = props.get(key, ("", None))
    where = Where(rel, key, line)
    if not location.strip():
        r.add("error", "vault-config", f"{key} is not set: Carbon has no key to decrypt with", where)
        return True
    path, here = resolve(files.home, location, files.base), absolute(files.home)
    if inside(files.home, location, files.base) is None:
        other = other_home(path)
        if other is not None:
            r.add("error", "vault-config", f"{key} points at {path}, in another home ({other}), not this one ({here}): "
                  "the home was copied or moved; point it at this home's keystore", where)
        else:
            r.add("error", "vault-config", f"{key} points at {path}, outside this home ({here}): keep the keystore "
                  "inside the home", where)
        return True
    if not path.is_file():
        r.add("error", "vault-config", f"{key} points at {path}, which does not exist", where)
        return True
    return False
