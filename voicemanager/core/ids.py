"""Public ids like ``scr_3kq9...``: prefix + random, safe to show in URLs and the API."""
import secrets

ALPHABET = "0123456789abcdefghijkmnopqrstuvwxyz"


def new_public_id(prefix: str, length: int = 16) -> str:
    return f"{prefix}_" + "".join(secrets.choice(ALPHABET) for _ in range(length))


def org_id() -> str:
    return new_public_id("org")


def script_id() -> str:
    return new_public_id("scr")


def task_id() -> str:
    return new_public_id("tsk")


def file_id() -> str:
    return new_public_id("file")


def take_id() -> str:
    return new_public_id("take")


def voice_id() -> str:
    return new_public_id("voice")


def speaker_id() -> str:
    return new_public_id("spk")


def deletion_id() -> str:
    return new_public_id("del")


def upload_id() -> str:
    return new_public_id("upl")
