"""Carbon secure vault: encrypt passwords exactly as Carbon decrypts them (keystore.py, cipher.py)."""
