"""HTTP routes for developer apps (OAuth 2.0 clients)."""

from fastapi import APIRouter, status

from app.apps import service
from app.apps.dependencies import OwnedApp
from app.apps.schemas import AppCredentialsOut, AppIn, AppOut
from app.auth.dependencies import AuthDep, DeveloperUser
from app.core.db import SessionDep

router = APIRouter(prefix="/api/apps", tags=["developer apps"])


@router.post(
    "",
    response_model=AppCredentialsOut,
    status_code=status.HTTP_201_CREATED,
    summary="Register an app; the client secret is shown only in this response",
)
async def create_app(body: AppIn, owner: DeveloperUser, session: SessionDep) -> AppCredentialsOut:
    return await service.create_app(
        session=session, owner=owner, name=body.name, scopes=body.scopes
    )


@router.get("", response_model=list[AppOut], summary="My apps")
async def my_apps(owner: DeveloperUser, session: SessionDep) -> list[AppOut]:
    return await service.list_apps(session=session, owner=owner)


@router.post(
    "/{app_id}/secret", response_model=AppCredentialsOut, summary="Replace the app's secret"
)
async def rotate_secret(app: OwnedApp, session: SessionDep) -> AppCredentialsOut:
    return await service.rotate_secret(session=session, app=app)


@router.delete(
    "/{app_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete the app; its tokens stop working at once",
)
async def delete_app(app: OwnedApp, session: SessionDep, auth: AuthDep) -> None:
    await service.delete_app(session=session, auth=auth, app=app)
