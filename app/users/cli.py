"""Bootstrap roles from a shell, e.g. the first admin (after that, admins use the API):

.venv/bin/python -m app.users.cli grant PlayerOne admin
.venv/bin/python -m app.users.cli revoke PlayerOne admin
"""

import argparse
import asyncio

from app.core.db import make_engine, make_session_factory
from app.models import load_all_models
from app.settings import get_settings
from app.users import queries
from app.users.models import Role


async def change_role(username: str, role: Role, *, grant: bool) -> list[str]:
    engine = make_engine(get_settings())
    try:
        async with make_session_factory(engine)() as session:
            user = await queries.user_by_username(session, username)
            if user is None:
                raise SystemExit(f"No user named {username!r}")
            roles = set(user.roles) | {role.value} if grant else set(user.roles) - {role.value}
            user.roles = sorted(roles or {Role.PLAYER.value})
            await session.commit()
            return user.roles
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("action", choices=["grant", "revoke"])
    parser.add_argument("username")
    parser.add_argument("role", choices=[r.value for r in Role])
    args = parser.parse_args()
    load_all_models()
    roles = asyncio.run(change_role(args.username, Role(args.role), grant=args.action == "grant"))
    print(f"{args.username}: {', '.join(roles)}")


if __name__ == "__main__":
    main()
