"""Who may still be inside a space (the real-time re-check's one query), and the
`_space_access_changed` events the REST changes publish after their commit."""

import uuid
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.events import RealtimeEvent, events_stream
from app.spaces.access import who_may_stay
from app.spaces.events import ACCESS_CHANGED
from app.spaces.models import AccessType, MemberRole, Space, SpaceMember
from app.users.models import User
from tests.factories import login_headers, make_user


async def make_space(session: AsyncSession, owner_id: uuid.UUID, access: AccessType) -> Space:
    space = Space(id=uuid.uuid4(), owner_id=owner_id, name="S", access_type=access.value)
    session.add(space)
    await session.flush()
    session.add(SpaceMember(space_id=space.id, user_id=owner_id, role=MemberRole.OWNER.value))
    await session.flush()
    return space


async def test_who_may_stay_follows_can_enter(session: AsyncSession) -> None:
    owner, member, admin, outsider = [await make_user(session) for _ in range(4)]
    admin.roles = ["player", "admin"]
    await session.flush()
    everyone = {owner.id, member.id, admin.id, outsider.id}
    invite = await make_space(session, owner.id, AccessType.INVITE)
    private = await make_space(session, owner.id, AccessType.PRIVATE)
    public = await make_space(session, owner.id, AccessType.PUBLIC)
    for space in (invite, private, public):
        session.add(SpaceMember(space_id=space.id, user_id=member.id, role="member"))
    await session.flush()
    gone = uuid.uuid4()
    allowed = await who_may_stay(
        session,
        {
            invite.id: everyone,
            private.id: {outsider.id, member.id},
            public.id: everyone,
            gone: {owner.id},
        },
    )
    assert allowed == {
        invite.id: {owner.id, member.id, admin.id},
        private.id: {member.id},
        public.id: everyone,
        gone: None,
    }
    assert await who_may_stay(session, {}) == {}


async def published(redis: Redis, app: FastAPI) -> list[dict[str, Any]]:
    stream = events_stream(app.state.resources.settings.redis_channel_prefix)
    entries = await redis.xrange(stream)
    events = [RealtimeEvent.decode(fields[b"event"]) for _, fields in entries]
    return [e.data for e in events if e.type == ACCESS_CHANGED]


async def create_public_space(client: AsyncClient, owner: User, headers: dict[str, str]) -> str:
    r = await client.post(
        "/api/spaces/create",
        json={"user_id": str(owner.id), "space_name": "S", "access_type": "public"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    space_id: str = r.json()["space_id"]
    return space_id


async def test_access_changes_are_published_after_commit(
    client: AsyncClient, session: AsyncSession, app: FastAPI, redis_client: Redis
) -> None:
    owner, bob, carol = [await make_user(session) for _ in range(3)]
    ho, hb = await login_headers(client, owner), await login_headers(client, bob)
    space_id = await create_public_space(client, owner, ho)
    assert (await client.post(f"/api/spaces/{space_id}/join", headers=hb)).status_code == 200
    # Neither creating nor joining, nor an edit that keeps the access type, re-checks anyone.
    r = await client.patch(f"/api/spaces/{space_id}", json={"space_name": "T"}, headers=ho)
    assert r.status_code == 200
    assert await published(redis_client, app) == []

    r = await client.delete(f"/api/spaces/{space_id}/members/{bob.username}", headers=ho)
    assert r.status_code == 204
    r = await client.patch(f"/api/spaces/{space_id}", json={"access_type": "invite"}, headers=ho)
    assert r.status_code == 200
    r = await client.post(
        f"/api/spaces/{space_id}/invitations", json={"user_id": carol.username}, headers=ho
    )
    assert r.status_code == 201
    r = await client.delete(f"/api/spaces/{space_id}/invitations/{carol.id}", headers=ho)
    assert r.status_code == 204
    r = await client.post(
        f"/api/spaces/{space_id}/invitations", json={"user_id": bob.username}, headers=ho
    )
    assert (await client.post(f"/api/spaces/{space_id}/join", headers=hb)).status_code == 200
    assert (await client.post(f"/api/spaces/{space_id}/leave", headers=hb)).status_code == 204
    assert (await client.delete(f"/api/spaces/{space_id}", headers=ho)).status_code == 204

    assert await published(redis_client, app) == [
        {"space_id": space_id, "user_ids": [str(bob.id)], "reason": "removed"},
        {"space_id": space_id, "user_ids": None, "reason": "access_changed"},
        {"space_id": space_id, "user_ids": [str(carol.id)], "reason": "invitation_revoked"},
        {"space_id": space_id, "user_ids": [str(bob.id)], "reason": "left"},
        {"space_id": space_id, "user_ids": None, "reason": "deleted"},
    ]


async def test_refused_changes_publish_nothing(
    client: AsyncClient, session: AsyncSession, app: FastAPI, redis_client: Redis
) -> None:
    owner, bob = await make_user(session), await make_user(session)
    ho, hb = await login_headers(client, owner), await login_headers(client, bob)
    space_id = await create_public_space(client, owner, ho)
    r = await client.delete(f"/api/spaces/{space_id}/members/{owner.id}", headers=hb)
    assert r.status_code == 403
    r = await client.delete(f"/api/spaces/{space_id}/members/{owner.id}", headers=ho)
    assert r.status_code == 409
    assert (await client.post(f"/api/spaces/{space_id}/leave", headers=hb)).status_code == 404
    assert (await client.delete(f"/api/spaces/{space_id}", headers=hb)).status_code == 403
    assert await published(redis_client, app) == []
