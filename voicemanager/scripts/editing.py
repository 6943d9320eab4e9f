"""Create scripts and edit their sections (edit, merge, split, reorder, delete, add).

A script that has been assigned is frozen: the first edit copies it into a new
version (``Script.previous_version``) and the edit lands there, so a contractor
keeps recording exactly what they were given. Sections are addressed by position
(1-based), which stays meaningful across versions.
"""
from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from voicemanager.core import audit
from voicemanager.core.text import clean_line
from voicemanager.models import Script, Section
from voicemanager.scripts.importing import (
    ParsedSection,
    ScriptImportError,
    split_in_two,
    split_text,
    validate_language,
    validate_sections,
)


def create_script(*, organisation, title: str, language: str, sections: list[ParsedSection | str], actor=None,
                  via: str = "web") -> Script:
    """Save a new script with its sections (validated) and record the audit event."""
    title = clean_line(title)[:300]
    if not title:
        raise ScriptImportError("Give the script a title.")
    language = validate_language(language)
    cleaned = validate_sections(sections)
    by_staff = bool(actor is not None and getattr(actor, "is_staff", False)
                    and not organisation.memberships.filter(user=actor).exists())
    with transaction.atomic():
        script = Script.objects.create(
            organisation=organisation, title=title, language=language,
            created_by=actor if getattr(actor, "is_authenticated", False) else None, created_by_staff=by_staff,
        )
        _write_sections(script, cleaned)
        audit.record("script.created", actor=actor, organisation=organisation, target=script,
                     sections=len(cleaned), via=via)
    return script


def _write_sections(script: Script, sections: list[ParsedSection]) -> None:
    Section.objects.bulk_create(
        Section(script=script, position=i, text=s.text, external_id=s.external_id)
        for i, s in enumerate(sections, start=1)
    )


def _read_sections(script: Script) -> list[ParsedSection]:
    return [ParsedSection(text, ext) for text, ext in script.sections.order_by("position").values_list(
        "text", "external_id")]


def apply(script: Script, actor, change: Callable[[list[ParsedSection]], list[ParsedSection]],
          **details) -> Script:
    """Apply ``change`` to the script's sections; returns the script that now holds them (maybe a new version)."""
    with transaction.atomic():
        locked = Script.objects.select_for_update().get(pk=script.pk)
        if Script.objects.filter(previous_version=locked).exists():
            raise ScriptImportError("A newer version of this script exists: edit that one.")
        sections = validate_sections(change(_read_sections(locked)))
        if locked.is_assigned:
            new = Script.objects.create(
                organisation=locked.organisation, title=locked.title, language=locked.language,
                version=locked.version + 1, previous_version=locked,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            _write_sections(new, sections)
            audit.record("script.versioned", actor=actor, organisation=locked.organisation, target=new,
                         previous=locked.public_id, version=new.version, **details)
            return new
        locked.sections.all().delete()
        _write_sections(locked, sections)
        return locked


def _index(sections: list[ParsedSection], position: int) -> int:
    if not 1 <= position <= len(sections):
        raise ScriptImportError(f"There is no section {position}.")
    return position - 1


def edit_section(script: Script, position: int, text: str, actor=None) -> Script:
    """Replace one section's text; blank lines in the new text split it into several sections."""

    def change(sections):
        i = _index(sections, position)
        pieces = split_text(text)
        if not pieces:
            raise ScriptImportError("A section cannot be empty: delete it instead.")
        first = ParsedSection(pieces[0], sections[i].external_id)
        return sections[:i] + [first] + [ParsedSection(p) for p in pieces[1:]] + sections[i + 1:]

    return apply(script, actor, change, edit="edit", position=position)


def merge_with_next(script: Script, position: int, actor=None) -> Script:
    def change(sections):
        i = _index(sections, position)
        if i + 1 >= len(sections):
            raise ScriptImportError("The last section has nothing after it to merge with.")
        merged = ParsedSection(f"{sections[i].text} {sections[i + 1].text}", sections[i].external_id)
        return sections[:i] + [merged] + sections[i + 2:]

    return apply(script, actor, change, edit="merge", position=position)


def split_section(script: Script, position: int, actor=None) -> Script:
    def change(sections):
        i = _index(sections, position)
        pieces = split_in_two(sections[i].text)
        if len(pieces) < 2:
            raise ScriptImportError("This section is a single word: nothing to split.")
        return sections[:i] + [ParsedSection(pieces[0], sections[i].external_id)] + [
            ParsedSection(p) for p in pieces[1:]] + sections[i + 1:]

    return apply(script, actor, change, edit="split", position=position)


def move_section(script: Script, position: int, offset: int, actor=None) -> Script:
    def change(sections):
        i = _index(sections, position)
        j = i + offset
        if not 0 <= j < len(sections):
            raise ScriptImportError("The section cannot move further.")
        sections[i], sections[j] = sections[j], sections[i]
        return sections

    return apply(script, actor, change, edit="move", position=position, offset=offset)


def delete_section(script: Script, position: int, actor=None) -> Script:
    def change(sections):
        i = _index(sections, position)
        if len(sections) == 1:
            raise ScriptImportError("A script needs at least one section.")
        return sections[:i] + sections[i + 1:]

    return apply(script, actor, change, edit="delete", position=position)


def add_sections(script: Script, text: str, actor=None) -> Script:
    """Append sections (blank lines separate several)."""
    pieces = split_text(text)
    if not pieces:
        raise ScriptImportError("Type the text of the new section.")
    return apply(script, actor, lambda sections: sections + [ParsedSection(p) for p in pieces], edit="add")


def update_details(script: Script, title: str, language: str, actor=None) -> Script:
    """Rename in place (the recorded text does not change); a language change on an assigned
    script creates a new version."""
    title = clean_line(title)[:300]
    if not title:
        raise ScriptImportError("Give the script a title.")
    language = validate_language(language)
    if language != script.language and script.is_assigned:
        new = apply(script, actor, lambda sections: sections, edit="language", language=language)
        Script.objects.filter(pk=new.pk).update(title=title, language=language)
        new.refresh_from_db()
        return new
    Script.objects.filter(pk=script.pk).update(title=title, language=language)
    script.refresh_from_db()
    return script
