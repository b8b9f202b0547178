"""What the identity tests share besides fixtures."""

from calldata.auth.authenticate import AuthFailure, Authenticator

PASSWORD = "correct horse battery staple"  # every test user's password unless a test says otherwise


def login_status(auth: Authenticator, login: str, password: str, address: str) -> int:
    """The HTTP status a password login answers (200, or that of its AuthFailure)."""
    try:
        auth.login(login, password, address, start_session=False)
    except AuthFailure as exc:
        return exc.status
    return 200
