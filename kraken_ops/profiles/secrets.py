"""Where a profile's API secrets come from, in this order of precedence.

1. **Environment** — ``KRAKEN_OPS_API_KEY`` and ``KRAKEN_OPS_SECRET_KEY`` (both, for CI).
   They apply to a profile that has no key for the market asked for, or whose key
   *is* ``KRAKEN_OPS_API_KEY``: the environment can supply a secret but can never
   make profile ``bot1`` send requests with another account's key.
2. **secret_command** in the profile — run without a shell (``{profile}`` and
   ``{market}`` are substituted; the program is looked up in ``PATH`` as the shell
   would), with a timeout; the first line of its stdout is the secret (``pass show
   ...``, ``op read ...``, a cloud secret manager's CLI).
3. **secret_file** of a paper profile — the local exchange's 0600 secrets file, used
   for paper profiles on a machine without a keyring (:mod:`.secret_file`).
4. **The OS keyring** — service ``kraken-ops``, user name ``<config id>/<profile>:<market>``
   (one entry per config file, profile and market; see :mod:`.namespace`), through
   the ``keyring`` package. Production secrets never fall back to a file: with no
   keyring backend (or only keyrings.alt's file store, not chosen on purpose) storing
   one fails with :data:`NO_BACKEND_HELP`.

The otp value of a Spot key with 2FA (``otp = "password"`` or ``"totp"``: the static
password or the TOTP seed) is stored and found the same way, under the market name
``spot-otp`` (:func:`resolve_otp`).

No function here logs a secret or puts one in an exception message.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass
from typing import Any

from kraken_ops.profiles.config import OTP_SLOT, Profile
from kraken_ops.profiles.errors import NoKeyringError, ProfileError, SecretStoreError

SERVICE = "kraken-ops"
SERVICE_ENV = "KRAKEN_OPS_KEYRING_SERVICE"  # tests use a private service name
API_KEY_ENV = "KRAKEN_OPS_API_KEY"
SECRET_KEY_ENV = "KRAKEN_OPS_SECRET_KEY"

NO_BACKEND_HELP = (
    "no usable keyring backend, and kraken-ops never keeps a production secret in a plain file: "
    "run one (on a headless Linux machine: gnome-keyring-daemon --unlock --components=secrets inside dbus-run-session, "
    "see docs/profiles.md; the macOS Keychain and Windows Credential Manager work out of the box), "
    f"or set secret_command in the profile (e.g. pass show kraken/{{profile}}-{{market}}), or set {API_KEY_ENV} and {SECRET_KEY_ENV}"
)
PLAINTEXT_HELP = (
    "the only keyring backend is {backend}, a file store that keyring falls back to by itself; kraken-ops does not "
    "use it unless you choose it on purpose (PYTHON_KEYRING_BACKEND or keyringrc.cfg): "
)


def service() -> str:
    """The keyring service name (``kraken-ops`` unless ``$KRAKEN_OPS_KEYRING_SERVICE`` is set)."""
    return os.environ.get(SERVICE_ENV) or SERVICE


def entry_name(profile: str, market: str, namespace: str | None = None) -> str:
    """The keyring user name of one profile's secret for one market.

    ``<namespace>/<profile>:<market>``, the namespace being the config file's id;
    without one, the old shared name ``<profile>:<market>``.
    """
    return f"{namespace}/{profile}:{market}" if namespace else f"{profile}:{market}"


@dataclass(frozen=True)
class Credentials:
    """A resolved key and secret; ``source`` says where the secret came from."""

    key: str
    secret: str
    source: str  # "environment" | "secret_command" | "file" | "keyring"

    def __repr__(self) -> str:  # never show the secret
        return f"Credentials(key={self.key!r}, secret=<hidden>, source={self.source!r})"


# --- keyring -------------------------------------------------------------------------------


def _chosen_on_purpose() -> bool:
    """Whether the user named a keyring backend (environment or keyringrc.cfg)."""
    if os.environ.get("PYTHON_KEYRING_BACKEND"):
        return True
    try:
        from keyring.core import load_config

        return load_config() is not None
    except Exception:  # noqa: BLE001 - an unreadable keyringrc is not a choice
        return False


def _is_file_fallback(backend: Any) -> bool:
    """keyrings.alt's file stores (or a chain made of nothing else), which keyring picks when nothing better exists."""
    parts = getattr(backend, "backends", None)
    chain = list(parts) if isinstance(parts, (list, tuple)) and parts else [backend]
    return all(type(b).__module__.startswith("keyrings.alt") for b in chain)


def _backend() -> Any:
    import keyring
    from keyring.backends import fail

    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # e.g. PYTHON_KEYRING_BACKEND names a module that is not installed
        chosen = os.environ.get("PYTHON_KEYRING_BACKEND")
        where = f"PYTHON_KEYRING_BACKEND={chosen!r}" if chosen else "the keyring configuration"
        raise SecretStoreError(
            f"cannot load the keyring backend from {where} ({type(exc).__name__}); "
            "unset it or name an installed backend, e.g. keyring.backends.SecretService.Keyring"
        ) from None
    unusable = isinstance(backend, fail.Keyring) or type(backend).__module__.endswith("backends.null")
    if unusable:
        raise NoKeyringError(NO_BACKEND_HELP)
    if _is_file_fallback(backend) and not _chosen_on_purpose():
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        raise NoKeyringError(PLAINTEXT_HELP.format(backend=name) + NO_BACKEND_HELP)
    return backend


def keyring_available() -> bool:
    """Whether a usable keyring backend exists (it may still be locked)."""
    try:
        _backend()
    except NoKeyringError:
        return False
    return True


def _store_error(action: str, profile: str, market: str, exc: BaseException, secret: str | None = None) -> SecretStoreError:
    from keyring import errors

    if isinstance(exc, errors.NoKeyringError):
        return NoKeyringError(NO_BACKEND_HELP)
    if isinstance(exc, errors.KeyringLocked):
        return SecretStoreError(f"the keyring is locked: unlock it (log in to your desktop session or run `gnome-keyring-daemon --unlock`) and retry to {action} the {market} secret of profile {profile!r}")
    detail = str(exc).splitlines()[0] if str(exc) else ""
    if secret and secret in detail or len(detail) > 160:
        detail = ""
    reason = type(exc).__name__ + (f": {detail}" if detail else "")
    return SecretStoreError(
        f"the keyring ({keyring_name()}) refused to {action} the {market} secret of profile {profile!r} ({reason}); "
        "check that it is unlocked, or use secret_command"
    )


def keyring_name() -> str:
    """A short description of the active keyring backend."""
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception:  # pragma: no cover - keyring import problems
        return "unavailable"
    return f"{type(backend).__module__.replace('keyring.backends.', '')}.{type(backend).__name__}"


def keyring_get(profile: str, market: str, namespace: str | None = None) -> str | None:
    """The secret stored for ``profile``/``market`` in ``namespace`` (a config id), or None."""
    backend = _backend()
    try:
        return backend.get_password(service(), entry_name(profile, market, namespace))
    except Exception as exc:
        raise _store_error("read", profile, market, exc) from None


def keyring_set(profile: str, market: str, secret: str, namespace: str | None = None) -> None:
    """Store the secret of ``profile``/``market`` in ``namespace`` (replacing any previous one)."""
    backend = _backend()
    try:
        backend.set_password(service(), entry_name(profile, market, namespace), secret)
    except Exception as exc:
        raise _store_error("store", profile, market, exc, secret) from None


def keyring_delete(profile: str, market: str, namespace: str | None = None) -> bool:
    """Delete the entry of ``profile``/``market`` in ``namespace``; return whether there was one."""
    from keyring.errors import PasswordDeleteError

    backend = _backend()
    name = entry_name(profile, market, namespace)
    try:
        if backend.get_password(service(), name) is None:
            return False
        backend.delete_password(service(), name)
        return True
    except PasswordDeleteError:
        return False
    except Exception as exc:
        raise _store_error("delete", profile, market, exc) from None


# --- secret_command --------------------------------------------------------------------------


def command_argv(profile: Profile, market: str) -> list[str]:
    """The argv of the profile's ``secret_command`` for ``market`` (no shell involved)."""
    command = profile.secret_command
    if command is None:
        raise ProfileError(f"profile {profile.name!r} has no secret_command")
    try:
        parts = shlex.split(command) if isinstance(command, str) else list(command)
    except ValueError as exc:
        raise ProfileError(f"profile {profile.name!r}: secret_command cannot be parsed ({exc})") from None
    return [p.replace("{profile}", profile.name).replace("{market}", market) for p in parts]


def find_program(program: str) -> str:
    """The full path of ``program`` as the shell would run it, or :class:`SecretStoreError` saying why not.

    A name with a ``/`` is a path (relative to the working directory); a bare name
    is looked up in each directory of ``PATH`` in turn (an empty entry is the
    working directory), the first executable file wins.
    """
    if not program:
        raise SecretStoreError("the program name is empty")
    if "/" in program:
        path = os.path.abspath(os.path.expanduser(program))
        _check_program(path)
        return path
    search = os.environ.get("PATH", os.defpath)
    not_executable: str | None = None
    for directory in search.split(os.pathsep):
        candidate = os.path.abspath(os.path.join(directory or ".", program))
        if os.path.isfile(candidate):
            if os.access(candidate, os.X_OK):
                return candidate
            not_executable = not_executable or candidate
    if not_executable is not None:
        raise SecretStoreError(f"program {not_executable} is not executable (chmod +x it, or name another program)")
    raise SecretStoreError(f"program {program!r} was not found in PATH ({search}): give its full path, or add its directory to PATH")


def _check_program(path: str) -> None:
    if not os.path.exists(path):
        raise SecretStoreError(f"program {path} not found")
    if os.path.isdir(path):
        raise SecretStoreError(f"program {path} is not executable (a directory)")
    if not os.access(path, os.X_OK):
        raise SecretStoreError(f"program {path} is not executable (chmod +x it, or name another program)")


def run_secret_command(profile: Profile, market: str) -> str:
    """Run the profile's ``secret_command`` and return the first line of its stdout.

    stderr is left on the terminal (so that ``gpg`` or ``op`` can prompt); the command
    gets no stdin. A failure names the program (by its full path) and the exit code,
    never the output.
    """
    argv = command_argv(profile, market)
    try:
        resolved = find_program(argv[0] if argv else "")
    except SecretStoreError as exc:
        raise SecretStoreError(f"secret_command of profile {profile.name!r}: {exc}") from None
    argv = [resolved, *argv[1:]]
    program = resolved
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            timeout=profile.secret_command_timeout,
            check=False,
        )
    except FileNotFoundError:
        raise SecretStoreError(f"secret_command of profile {profile.name!r}: program {program} not found") from None
    except subprocess.TimeoutExpired:
        raise SecretStoreError(
            f"secret_command of profile {profile.name!r} ({program}) did not finish within {profile.secret_command_timeout:g}s"
        ) from None
    except OSError as exc:
        raise SecretStoreError(f"secret_command of profile {profile.name!r} ({program}) cannot run: {exc.strerror}") from None
    if done.returncode != 0:
        raise SecretStoreError(f"secret_command of profile {profile.name!r} ({program}) failed with exit code {done.returncode}")
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    secret = lines[0].strip() if lines else ""
    if not secret:
        raise SecretStoreError(f"secret_command of profile {profile.name!r} ({program}) printed no secret on stdout")
    return secret


# --- resolution ----------------------------------------------------------------------------------


def environment_credentials() -> tuple[str, str] | None:
    """``(key, secret)`` from ``KRAKEN_OPS_API_KEY``/``KRAKEN_OPS_SECRET_KEY``, or None."""
    key = os.environ.get(API_KEY_ENV, "").strip()
    secret = os.environ.get(SECRET_KEY_ENV, "").strip()
    if not key and not secret:
        return None
    if not key or not secret:
        missing = API_KEY_ENV if not key else SECRET_KEY_ENV
        raise ProfileError(f"{missing} is not set: set both {API_KEY_ENV} and {SECRET_KEY_ENV}, or neither")
    return key, secret


def resolve(profile: Profile, market: str) -> Credentials:
    """The key and secret of ``profile`` for ``market``, following the documented precedence."""
    env = environment_credentials()
    key = profile.key(market)
    if env is not None and (key is None or key == env[0]):
        return Credentials(env[0], env[1], "environment")
    if key is None:
        have = ", ".join(profile.markets) or "none"
        raise ProfileError(
            f"profile {profile.name!r} has no {market} key (it has: {have}); "
            f"add one with `kraken-ops profile add {profile.name} --market {market}`"
        )
    if profile.secret_command is not None:
        return Credentials(key, run_secret_command(profile, market), "secret_command")
    if profile.secret_file is not None:
        from kraken_ops.profiles import secret_file

        secret = secret_file.get(profile.secret_file, entry_name(profile.name, market, profile.namespace))
        if not secret:
            raise ProfileError(
                f"profile {profile.name!r} has no {market} secret in {profile.secret_file}: store the account's keys again with "
                f"`kraken-ops exchange account add ACCOUNT --profile {profile.name} --replace`"
            )
        return Credentials(key, secret, "file")
    secret = keyring_get(profile.name, market, profile.namespace)
    if not secret:
        raise ProfileError(
            f"profile {profile.name!r} has no {market} secret in the keyring ({keyring_name()}): "
            f"store it with `kraken-ops profile add {profile.name} --market {market} --replace`, or set secret_command"
        )
    return Credentials(key, secret, "keyring")


OTP_WHAT = {"password": "2FA password", "totp": "TOTP seed"}


def command_names_market(profile: Profile) -> bool:
    """Whether the profile's ``secret_command`` contains ``{market}`` (so it can tell the otp from the secret)."""
    command = profile.secret_command
    parts = [command] if isinstance(command, str) else list(command or [])
    return any("{market}" in part for part in parts)


def resolve_otp(profile: Profile) -> str | None:
    """The stored otp value of ``profile``'s spot key: its 2FA password or TOTP seed.

    None when the profile stores none (no 2FA, or ``otp = "prompt"``). Found like the
    secret: ``secret_command`` (with ``{market}`` = ``spot-otp``), the paper secrets
    file, or the keyring entry ``<config id>/<profile>:spot-otp``.
    """
    if not profile.stores_otp:
        return None
    what = OTP_WHAT[profile.otp or ""]
    again = f"store it with `kraken-ops profile add {profile.name} --otp {profile.otp} --replace`"
    if profile.secret_command is not None:
        if not command_names_market(profile):
            raise ProfileError(
                f"profile {profile.name!r} has otp = {profile.otp!r} but its secret_command has no {{market}}, so it cannot give the "
                f"{what} apart from the secret: add {{market}} to it (it becomes {OTP_SLOT}), or set otp = \"prompt\""
            )
        return run_secret_command(profile, OTP_SLOT)
    if profile.secret_file is not None:
        from kraken_ops.profiles import secret_file

        value = secret_file.get(profile.secret_file, entry_name(profile.name, OTP_SLOT, profile.namespace))
        where = str(profile.secret_file)
    else:
        value = keyring_get(profile.name, OTP_SLOT, profile.namespace)
        where = f"the keyring ({keyring_name()})"
    if not value:
        raise ProfileError(f"profile {profile.name!r} requires an otp ({profile.otp}) but no {what} is stored in {where}: {again}")
    return value


def otp_source(profile: Profile) -> str:
    """Where the otp value of ``profile`` would come from, without reading it (for ``profile show``).

    ``prompt`` (asked each command), ``secret_command``, ``file PATH``, ``keyring``,
    ``missing``, ``keyring unavailable: ...``; ``-`` for a key without 2FA.
    """
    if profile.otp is None:
        return "-"
    if profile.otp == "prompt":
        return "prompt"
    if profile.secret_command is not None:
        return "secret_command" if command_names_market(profile) else "secret_command without {market}: unusable"
    if profile.secret_file is not None:
        from kraken_ops.profiles import secret_file

        try:
            found = secret_file.get(profile.secret_file, entry_name(profile.name, OTP_SLOT, profile.namespace))
        except SecretStoreError as exc:
            return f"file unusable: {exc}"
        return f"file {profile.secret_file}" if found else "missing"
    try:
        return "keyring" if keyring_get(profile.name, OTP_SLOT, profile.namespace) else "missing"
    except SecretStoreError as exc:
        return f"keyring unavailable: {exc}"


def secret_source(profile: Profile, market: str) -> str:
    """Where the secret of ``profile``/``market`` would come from, without reading it.

    ``environment``, ``secret_command``, ``file``, ``keyring``, ``missing``, or
    ``keyring unavailable: ...`` (for ``profile show``).
    """
    try:
        env = environment_credentials()
    except ProfileError:
        env = None
    key = profile.key(market)
    if env is not None and (key is None or key == env[0]):
        return "environment"
    if key is None:
        return "missing"
    if profile.secret_command is not None:
        return "secret_command"
    if profile.secret_file is not None:
        from kraken_ops.profiles import secret_file

        try:
            found = secret_file.get(profile.secret_file, entry_name(profile.name, market, profile.namespace))
        except SecretStoreError as exc:
            return f"file unusable: {exc}"
        return f"file {profile.secret_file}" if found else "missing"
    try:
        return "keyring" if keyring_get(profile.name, market, profile.namespace) else "missing"
    except SecretStoreError as exc:
        return f"keyring unavailable: {exc}"


def validate_secret(secret: str, market: str) -> str:
    """Return ``secret`` stripped if it is usable for signing (base64), else raise."""
    import base64
    import binascii

    secret = secret.strip()
    if not secret:
        raise ProfileError(f"the {market} secret is empty")
    try:
        base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        raise ProfileError(f"the {market} secret is not valid base64: copy it again from Kraken's API key page") from None
    return secret


__all__ = [
    "Credentials",
    "SERVICE",
    "API_KEY_ENV",
    "SECRET_KEY_ENV",
    "entry_name",
    "keyring_get",
    "keyring_set",
    "keyring_delete",
    "keyring_available",
    "find_program",
    "NO_BACKEND_HELP",
    "run_secret_command",
    "resolve",
    "resolve_otp",
    "otp_source",
    "secret_source",
    "validate_secret",
    "environment_credentials",
]
