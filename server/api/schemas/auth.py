from datetime import datetime

from server.api.schemas.common import Out


class LoginOut(Out):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    role: str
