"""Who is using the operator pages: sessions, CSRF, login throttling. The TOTP second
factor itself is a service the API's login uses too (server/services/second_factor.py)."""
