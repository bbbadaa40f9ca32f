"""`mediebild users`: the accounts of the situation room (add, list, passwd, role, remove).

The password is never an argument (it would sit in the shell's history and the process list): it is asked
for twice on a terminal, or read as one line from standard input when that is not a terminal (scripts,
`printf '%s\\n' "$PW" | mediebild users add anna --role editor`). It is stored as an argon2id hash.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from mediebild.cli.common import DbOption, JsonOption, console, emit_json, open_store

users_app = typer.Typer(help="Accounts of the situation room (mediebild web): reader, editor, admin.",
                        no_args_is_help=True)

RoleOption = Annotated[str, typer.Option("--role", help="reader (sees), editor (also marks stories, pauses sources, "
                                                       "renders documents) or admin.")]


def read_password(*, confirm: bool = True) -> str:
    """The new password: prompted (hidden, twice) on a terminal, else the first line of standard input."""
    from mediebild.errors import UserError
    from mediebild.web.auth import password_problem

    if sys.stdin.isatty():
        password = str(typer.prompt("Lösenord / password", hide_input=True, confirmation_prompt=confirm))
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    problem = password_problem(password)
    if problem:
        raise UserError(problem)
    return password


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="User name: a-z, digits and . _ @ -")],
    role: RoleOption = "reader",
    organisation: Annotated[Optional[str], typer.Option("--org", help="Organisation shown with triage, e.g. Länsstyrelsen.")] = None,
    db: DbOption = Path("mediebild.duckdb"),
) -> None:
    """Create an account; the password is prompted for (or read from standard input when not a terminal).

    Examples:

      mediebild users add anna --role editor --org Länsstyrelsen

      printf '%s\\n' "$PASSWORD" | mediebild users add skift2 --role reader
    """
    from mediebild.data.users import add_user, check_role, normalise_name
    from mediebild.web.auth import Passwords

    norm = normalise_name(name)
    check_role(role)
    password = read_password()
    hashed = Passwords().hash(password)
    with open_store(db, create=True) as store:
        add_user(store.con, norm, role=role, password_hash=hashed, organisation=organisation)
    console.print(f"kontot {norm} ({role}) är skapat")


@users_app.command("passwd")
def passwd(
    name: Annotated[str, typer.Argument(help="User name.")],
    db: DbOption = Path("mediebild.duckdb"),
) -> None:
    """Set a new password (prompted, or read from standard input); it takes effect at the next login.

    Examples:

      mediebild users passwd anna

      printf '%s\n' "$NEW_PASSWORD" | mediebild users passwd anna
    """
    from mediebild.data.users import set_password
    from mediebild.web.auth import Passwords

    password = read_password()
    with open_store(db) as store:
        set_password(store.con, name, Passwords().hash(password))
    console.print(f"nytt lösenord för {name.strip().casefold()}")


@users_app.command("role")
def role(
    name: Annotated[str, typer.Argument(help="User name.")],
    new_role: Annotated[str, typer.Argument(help="reader, editor or admin.")],
    db: DbOption = Path("mediebild.duckdb"),
) -> None:
    """Change an account's role (takes effect on the page at the account's next request).

    Examples:

      mediebild users role anna admin

      mediebild users role skift2 editor
    """
    from mediebild.data.users import set_role

    with open_store(db) as store:
        set_role(store.con, name, new_role)
    console.print(f"{name.strip().casefold()} är nu {new_role}")


@users_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="User name.")],
    db: DbOption = Path("mediebild.duckdb"),
) -> None:
    """Disable an account: it can no longer log in, and its open sessions end (the audit log keeps its name).

    Examples:

      mediebild users remove skift2
    """
    from mediebild.data.users import remove_user

    with open_store(db) as store:
        remove_user(store.con, name)
    console.print(f"kontot {name.strip().casefold()} är avstängt")


@users_app.command("list")
def list_(db: DbOption = Path("mediebild.duckdb"), as_json: JsonOption = False) -> None:
    """Every account with its role and organisation (never a password or its hash).

    Examples:

      mediebild users list

      mediebild users list --json
    """
    from mediebild.data.users import list_users

    with open_store(db, read_only=True) as store:
        rows = list_users(store.con)
    if as_json:
        emit_json(rows)
        return
    table = Table("namn", "roll", "organisation", "skapad", "avstängd", title="Konton")
    for r in rows:
        table.add_row(r["name"], r["role"], r["organisation"] or "", f"{r['created_at']:%Y-%m-%d %H:%M}",
                      "ja" if r["disabled"] else "")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
