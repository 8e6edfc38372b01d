"""FastAPI dependencies for developer apps."""

from typing import Annotated

from fastapi import Depends

from app.apps import queries
from app.apps.models import DeveloperApp
from app.auth.dependencies import owned, require_role
from app.users.models import Role

# Someone else's app is a 404: which client ids exist is nobody else's business.
OwnedApp = Annotated[
    DeveloperApp,
    Depends(
        owned(
            queries.get_app,
            kind="app",
            path_param="app_id",
            actor=require_role(Role.DEVELOPER),
            hide=True,
        )
    ),
]
