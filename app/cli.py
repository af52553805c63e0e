"""The `scorecard` command: demo | serve | migrate | import | create-user."""

import argparse
import getpass
import sys

from app.config import get_settings


def _serve(host: str, port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info")


def cmd_serve(args: argparse.Namespace) -> int:
    _serve(args.host, args.port, args.workers)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from app import migrate

    url = get_settings().database_url
    migrate.upgrade(url, args.revision)
    print(f"database migrated to {args.revision}")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from app.auth.service import UserError, create_user
    from app.db import get_sessionmaker

    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with get_sessionmaker()() as session:
        try:
            user = create_user(session, email=args.email, password=password, role=args.role)
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        session.commit()
        print(f"created {user.role} {user.email}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scorecard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the app on DATABASE_URL")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="migrate DATABASE_URL to the newest schema")
    mig.add_argument("revision", nargs="?", default="head")
    mig.set_defaults(func=cmd_migrate)

    cu = sub.add_parser("create-user", help="create a login (password from standard input or a prompt)")
    cu.add_argument("email")
    cu.add_argument("--role", required=True, choices=["admin", "leader", "seller", "finance"])
    cu.set_defaults(func=cmd_create_user)

    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
