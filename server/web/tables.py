"""The tables the operator pages keep for themselves: login sessions (which stage of the
login each has reached), operators' TOTP secrets, and uploaded import files between their
preview and the operator's go-ahead.

They are defined with every other table in server/storage/schema.py and created by the
migrations (0003; 0005 added the sealed TOTP secret); this module names them for the pages.
"""

from server.storage.schema import web_import_uploads as import_uploads
from server.storage.schema import web_session_grants as session_grants
from server.storage.schema import web_totp as totp_secrets

__all__ = ["import_uploads", "session_grants", "totp_secrets"]
