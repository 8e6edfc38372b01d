"""Sign-In With Ethereum (EIP-4361) messages: building, strict parsing, signature recovery.

The parser follows the EIP-4361 ABNF line by line and rejects anything else (no lenient
whitespace, no unknown fields). Cryptography is eth-account's: the signer is recovered
from an EIP-191 personal_sign signature, never computed here.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_keys.exceptions import BadSignature
from eth_utils.address import is_checksum_address
from eth_utils.exceptions import ValidationError

PREAMBLE = " wants you to sign in with your Ethereum account:"
_DOMAIN = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://)?[A-Za-z0-9.\-\[\]:%_~!$&'()*+,;=@]+$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+$")
_NONCE = re.compile(r"^[A-Za-z0-9]{8,}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")
# Fields after the statement, in the order the ABNF fixes; the first four are required.
_FIELDS = (
    ("uri", "URI", True),
    ("version", "Version", True),
    ("chain_id", "Chain ID", True),
    ("nonce", "Nonce", True),
    ("issued_at", "Issued At", True),
    ("expiration_time", "Expiration Time", False),
    ("not_before", "Not Before", False),
    ("request_id", "Request ID", False),
)


class SiweError(ValueError):
    """The message is not a well-formed EIP-4361 message, or the signature does not match."""


@dataclass(frozen=True, slots=True)
class SiweMessage:
    domain: str
    address: str
    statement: str | None
    uri: str
    version: str
    chain_id: int
    nonce: str
    issued_at: datetime
    expiration_time: datetime | None = None
    not_before: datetime | None = None
    request_id: str | None = None
    resources: tuple[str, ...] = ()

    def to_text(self) -> str:
        lines = [f"{self.domain}{PREAMBLE}", self.address, ""]
        if self.statement is not None:
            lines.append(self.statement)
        lines += ["", f"URI: {self.uri}", f"Version: {self.version}"]
        lines += [f"Chain ID: {self.chain_id}", f"Nonce: {self.nonce}"]
        lines.append(f"Issued At: {_iso(self.issued_at)}")
        if self.expiration_time is not None:
            lines.append(f"Expiration Time: {_iso(self.expiration_time)}")
        if self.not_before is not None:
            lines.append(f"Not Before: {_iso(self.not_before)}")
        if self.request_id is not None:
            lines.append(f"Request ID: {self.request_id}")
        if self.resources:
            lines.append("Resources:")
            lines += [f"- {r}" for r in self.resources]
        return "\n".join(lines)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _datetime(value: str, name: str) -> datetime:
    if not _DATETIME.fullmatch(value):
        raise SiweError(f"{name} is not an RFC 3339 date-time")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SiweError(f"{name} is not a valid date-time") from exc


def parse(text: str) -> SiweMessage:
    """Parse an EIP-4361 message exactly; raise SiweError on any deviation."""
    if "\r" in text or len(text) > 4096:
        raise SiweError("Message must use LF line endings and be at most 4096 characters")
    lines = text.split("\n")
    if len(lines) < 8 or not lines[0].endswith(PREAMBLE):
        raise SiweError("Not a Sign-In With Ethereum message")
    domain = lines[0][: -len(PREAMBLE)]
    if not _DOMAIN.fullmatch(domain):
        raise SiweError("Invalid domain")
    address = lines[1]
    if not _ADDRESS.fullmatch(address) or not is_checksum_address(address):
        raise SiweError("Address must be an EIP-55 checksummed 0x address")
    if lines[2] != "":
        raise SiweError("Expected an empty line after the address")
    # [ statement LF ] LF: either "statement", "" or just "".
    if lines[3] == "":
        statement, rest = None, lines[4:]
    elif lines[4] == "":
        statement, rest = lines[3], lines[5:]
    else:
        raise SiweError("The statement must be one line followed by an empty line")
    values: dict[str, str] = {}
    position = 0
    for key, label, required in _FIELDS:
        if position < len(rest) and rest[position].startswith(f"{label}: "):
            values[key] = rest[position][len(label) + 2 :]
            position += 1
        elif required:
            raise SiweError(f"Missing or misplaced field: {label}")
    resources: list[str] = []
    if position < len(rest) and rest[position] == "Resources:":
        for line in rest[position + 1 :]:
            if not line.startswith("- ") or not _URI.fullmatch(line[2:]):
                raise SiweError("Each resource must be a line '- <uri>'")
            resources.append(line[2:])
        position = len(rest)
    if position != len(rest):
        raise SiweError(f"Unexpected line: {rest[position][:40]!r}")
    if not _URI.fullmatch(values["uri"]):
        raise SiweError("Invalid URI")
    if values["version"] != "1":
        raise SiweError("Version must be 1")
    if not values["chain_id"].isdigit() or values["chain_id"].startswith("0"):
        raise SiweError("Chain ID must be a positive integer")
    if not _NONCE.fullmatch(values["nonce"]):
        raise SiweError("Nonce must be at least 8 alphanumeric characters")
    return SiweMessage(
        domain=domain,
        address=address,
        statement=statement,
        uri=values["uri"],
        version="1",
        chain_id=int(values["chain_id"]),
        nonce=values["nonce"],
        issued_at=_datetime(values["issued_at"], "Issued At"),
        expiration_time=_datetime(v, "Expiration Time")
        if (v := values.get("expiration_time"))
        else None,
        not_before=_datetime(v, "Not Before") if (v := values.get("not_before")) else None,
        request_id=values.get("request_id"),
        resources=tuple(resources),
    )


def recover_signer(text: str, signature: str) -> str:
    """The checksummed address that made this EIP-191 personal_sign signature."""
    try:
        signer: str = Account.recover_message(encode_defunct(text=text), signature=signature)
    except (ValueError, TypeError, BadSignature, ValidationError) as exc:
        raise SiweError("Invalid signature") from exc
    return signer
