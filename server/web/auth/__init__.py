"""Who is using the operator pages: sessions, the TOTP second factor, CSRF, login throttling."""
