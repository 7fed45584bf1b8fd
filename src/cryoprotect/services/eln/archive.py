"""The ``.eln`` archive itself: an RO-Crate 1.1 (written and read with the ``rocrate``
package) zipped under one root folder, as the ELN File Format of the ELN Consortium
specifies (https://github.com/TheELNConsortium/TheELNFileFormat, SPECIFICATION.md).

Layout::

    <root>/ro-crate-metadata.json
    <root>/<kind>/<source id>/<kind>.json      one Dataset per record, its data as JSON

Each record is a ``Dataset`` with ``name``, ``dateCreated``, ``dateModified``, ``author``
(a ``Person`` named by its account id only), ``additionalType`` (the kind) and
``identifier`` (its id where it was exported), its JSON ``File`` (``encodingFormat``,
``contentSize``, ``sha256``) in ``hasPart``, and the records it cites in ``mentions``.
Inside the JSON, a cited record is named by its Dataset's ``@id`` (``mixtures/<id>/``).
``#cryoprotect-export`` (``version``) marks the archive as ours; reading checks it.

Reading refuses what an archive from elsewhere could abuse: paths outside the root
folder (zip slip), links, more than one root folder, too many entries, too many bytes
(declared or actually inflated), a JSON file whose SHA-256 does not match.
"""

from __future__ import annotations

import hashlib
import io
import json
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from rocrate.model import ContextEntity
from rocrate.rocrate import ROCrate

from cryoprotect import __version__
from cryoprotect.errors import ValidationError

#: Our own layout's version: bump it when the JSON of a kind changes incompatibly.
FORMAT_VERSION = "1"
METADATA_FILE = "ro-crate-metadata.json"
RO_CRATE_VERSIONS = ("1.1", "1.2")
EXPORT_ENTITY = "#cryoprotect-export"
MEDIA_TYPE = "application/vnd.eln+zip"
#: Kinds in dependency order (what a kind cites comes before it), with their folders.
KINDS = ("molecule", "cell_type", "mixture", "protocol", "experiment")
FOLDERS = {
    "molecule": "molecules",
    "cell_type": "cell-types",
    "mixture": "mixtures",
    "protocol": "protocols",
    "experiment": "experiments",
}
MAX_ARCHIVE_BYTES = 20 * 1024 * 1024
MAX_ENTRIES = 2000
MAX_MEMBER_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CrateRecord:
    """One record of an archive: its kind, Dataset ``@id``, the id it had where it was
    exported, the Dataset's descriptive properties and the record's data."""

    kind: str
    ref: str
    source_id: str
    name: str
    data: dict[str, Any]
    created_at: str | None = None
    updated_at: str | None = None
    author: str | None = None
    mentions: tuple[str, ...] = field(default=())


def ref_of(kind: str, source_id: str) -> str:
    """The Dataset ``@id`` of a record (how other records' JSON names it)."""
    return f"{FOLDERS[kind]}/{source_id}/"


def _json_bytes(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


# -------------------------------------------------------------------------------- write
def write_archive(records: list[CrateRecord], *, root: str, description: str) -> bytes:
    """The ``.eln`` bytes of ``records`` under the root folder ``root``."""
    crate = ROCrate(version="1.1")
    crate.name = root
    crate.description = description
    crate.root_dataset["license"] = "All rights reserved by the records' owners"
    tool = crate.add(
        ContextEntity(
            crate,
            "#cryoprotect",
            properties={
                "@type": "SoftwareApplication",
                "name": "CryoProtect",
                "softwareVersion": __version__,
            },
        )
    )
    marker = crate.add(
        ContextEntity(
            crate,
            EXPORT_ENTITY,
            properties={
                "@type": "CreativeWork",
                "name": "CryoProtect export layout",
                "version": FORMAT_VERSION,
            },
        )
    )
    marker["creator"] = tool
    crate.metadata["sdPublisher"] = tool
    crate.metadata["about"] = crate.root_dataset
    authors: dict[str, Any] = {}
    for record in records:
        payload = _json_bytes(record.data)
        file_path = f"{record.ref}{record.kind}.json"
        properties: dict[str, Any] = {
            "name": record.name,
            "additionalType": record.kind,
            "identifier": record.source_id,
            "conformsTo": {"@id": EXPORT_ENTITY},
        }
        if record.created_at:
            properties["dateCreated"] = record.created_at
        if record.updated_at:
            properties["dateModified"] = record.updated_at
        dataset = crate.add_dataset(dest_path=record.ref, properties=properties)
        data_file = crate.add_file(
            source=io.BytesIO(payload),
            dest_path=file_path,
            properties={
                "name": f"{record.kind}.json",
                "encodingFormat": "application/json",
                "contentSize": str(len(payload)),
                "sha256": hashlib.sha256(payload).hexdigest(),
                "description": f"The {record.kind.replace('_', ' ')}'s data as CryoProtect holds it",
            },
        )
        dataset.append_to("hasPart", data_file)
        if record.author:
            if record.author not in authors:
                authors[record.author] = crate.add(
                    ContextEntity(
                        crate,
                        f"#person-{record.author}",
                        properties={"@type": "Person", "identifier": record.author},
                    )
                )
            dataset["author"] = authors[record.author]
        if record.mentions:
            dataset["mentions"] = [{"@id": m} for m in record.mentions]
    with tempfile.TemporaryDirectory(prefix="cryoprotect-eln-") as tmp:
        out = Path(tmp) / "crate"
        crate.write(out)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{root}/", b"")
            for path in sorted(p for p in out.rglob("*") if p.is_file()):
                archive.write(path, f"{root}/{path.relative_to(out).as_posix()}")
        return buffer.getvalue()


# --------------------------------------------------------------------------------- read
def _bad(message: str, **details: Any) -> ValidationError:
    error = ValidationError(message, field="file")
    error.details.update(details)
    return error


def _safe_members(archive: zipfile.ZipFile) -> tuple[str, list[zipfile.ZipInfo]]:
    """The single root folder and the archive's file members, after every safety check."""
    members = archive.infolist()
    if len(members) > MAX_ENTRIES:
        raise _bad(f"The archive has {len(members)} entries; at most {MAX_ENTRIES} are read.")
    roots: set[str] = set()
    files: list[zipfile.ZipInfo] = []
    total = 0
    for info in members:
        name = info.filename
        path = PurePosixPath(name)
        if (
            not name
            or "\\" in name
            or "\x00" in name
            or name.startswith("/")
            or ":" in path.parts[0]
            or any(part in ("..", ".") for part in path.parts)
        ):
            raise _bad(f"Unsafe path in the archive: {name!r}.", path=name)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _bad(f"Links are not allowed in the archive: {name!r}.", path=name)
        roots.add(path.parts[0])
        if info.is_dir():
            continue
        if len(path.parts) < 2:
            raise _bad(f"{name!r} lies outside the archive's root folder.", path=name)
        if info.file_size > MAX_MEMBER_BYTES:
            raise _bad(f"{name!r} is larger than {MAX_MEMBER_BYTES} bytes.", path=name)
        total += info.file_size
        files.append(info)
    if len(roots) != 1:
        raise _bad(
            "An .eln archive holds exactly one folder at its root.", roots=sorted(roots)[:10]
        )
    if total > MAX_TOTAL_BYTES:
        raise _bad(f"The archive unpacks to more than {MAX_TOTAL_BYTES} bytes.")
    return roots.pop(), files


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, never more than it declared (a lying header is refused)."""
    with archive.open(info) as stream:
        data = stream.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise _bad(f"{info.filename!r} does not hold the size it declares.", path=info.filename)
    return data


def _check_descriptor(crate: ROCrate) -> None:
    conforms = crate.metadata.get("conformsTo")
    ids = [c.get("@id", "") if isinstance(c, dict) else str(c) for c in _as_list(conforms)]
    if not any(i.rstrip("/").rsplit("/", 1)[-1] in RO_CRATE_VERSIONS for i in ids):
        raise _bad(
            f"The archive's metadata must conform to RO-Crate {' or '.join(RO_CRATE_VERSIONS)}.",
            conforms_to=ids,
        )
    marker = crate.get(EXPORT_ENTITY)
    if marker is None:
        raise _bad("This .eln archive was not written by CryoProtect: it holds no records we read.")
    if str(marker.get("version")) != FORMAT_VERSION:
        raise _bad(
            f"Unsupported CryoProtect export layout {marker.get('version')!r} "
            f"(this version reads {FORMAT_VERSION}).",
            version=marker.get("version"),
        )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _entity_id(value: Any) -> str:
    return str(
        getattr(value, "id", None) or (value.get("@id") if isinstance(value, dict) else value)
    )


def _records(crate: ROCrate, contents: dict[str, bytes]) -> list[CrateRecord]:
    records: list[CrateRecord] = []
    for entity in crate.data_entities:
        kind = entity.get("additionalType")
        if "Dataset" not in _as_list(entity.type) or kind not in KINDS:
            continue
        ref = entity.id
        file_id = f"{ref}{kind}.json"
        if file_id not in contents:
            raise _bad(f"The record {ref!r} has no {kind}.json.", path=file_id)
        payload = contents[file_id]
        declared = (crate.get(file_id) or {}).get("sha256")
        if declared is not None and declared != hashlib.sha256(payload).hexdigest():
            raise _bad(f"{file_id!r} does not match its SHA-256.", path=file_id)
        try:
            data = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _bad(f"{file_id!r} is not JSON: {exc}.", path=file_id) from exc
        if not isinstance(data, dict):
            raise _bad(f"{file_id!r} must hold a JSON object.", path=file_id)
        author = entity.get("author")
        records.append(
            CrateRecord(
                kind=str(kind),
                ref=ref,
                source_id=str(entity.get("identifier") or ""),
                name=str(entity.get("name") or ""),
                data=data,
                created_at=entity.get("dateCreated"),
                updated_at=entity.get("dateModified"),
                author=author.get("identifier") if author is not None else None,
                mentions=tuple(_entity_id(m) for m in _as_list(entity.get("mentions"))),
            )
        )
    return sorted(records, key=lambda r: (KINDS.index(r.kind), r.ref))


def read_archive(blob: bytes) -> list[CrateRecord]:
    """The records of an ``.eln`` archive written by CryoProtect, after every check.

    Raises:
        ValidationError: (field ``file``) not a zip, unsafe or too large, no or unreadable
            RO-Crate metadata, not RO-Crate 1.1/1.2, not our layout, or a bad record file.
    """
    if len(blob) > MAX_ARCHIVE_BYTES:
        raise _bad(f"The archive is larger than {MAX_ARCHIVE_BYTES} bytes.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(blob))
    except zipfile.BadZipFile as exc:
        raise _bad("The file is not a zip (.eln) archive.") from exc
    with archive, tempfile.TemporaryDirectory(prefix="cryoprotect-eln-") as tmp:
        root, files = _safe_members(archive)
        contents: dict[str, bytes] = {}
        for info in files:
            contents[PurePosixPath(info.filename).relative_to(root).as_posix()] = _read_member(
                archive, info
            )
        if METADATA_FILE not in contents:
            raise _bad(f"The archive's root folder has no {METADATA_FILE}.")
        folder = Path(tmp) / "crate"
        folder.mkdir()
        (folder / METADATA_FILE).write_bytes(contents[METADATA_FILE])
        try:
            crate = ROCrate(folder)
        except Exception as exc:  # the rocrate parser raises many kinds on bad JSON-LD
            raise _bad(f"Unreadable {METADATA_FILE}: {exc}.") from exc
        _check_descriptor(crate)
        return _records(crate, contents)
