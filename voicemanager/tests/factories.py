"""factory_boy factories and the cast of users reused by every test."""
from __future__ import annotations

from types import SimpleNamespace

import factory

from voicemanager import models as m


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Organisation

    name = factory.Sequence(lambda n: f"Org {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = m.Membership.Role.ADMIN


class ScriptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Script
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Script {n}")
    language = "en"

    @factory.post_generation
    def sections(obj, create, extracted, **kwargs):  # noqa: N805
        if not create:
            return
        texts = extracted if extracted is not None else [
            "The quick brown fox jumps over the lazy dog.",
            "Please call Stella.",
            "Six spoons of fresh snow peas.",
        ]
        m.Section.objects.bulk_create(
            m.Section(script=obj, position=i, text=text) for i, text in enumerate(texts, start=1)
        )


class SpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Speaker

    user = factory.SubFactory(UserFactory, kind=m.User.Kind.CONTRACTOR)
    email = factory.LazyAttribute(lambda o: o.user.email if o.user else "owner@example.com")
    full_name = factory.LazyAttribute(lambda o: o.user.full_name if o.user else "Voice Owner")
    native_languages = factory.LazyFunction(lambda: ["en"])


class RecordingTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.RecordingTask

    organisation = factory.SubFactory(OrganisationFactory)
    script = factory.SubFactory(ScriptFactory, organisation=factory.SelfAttribute("..organisation"))
    speaker = factory.SubFactory(SpeakerFactory)
    contractor_email = factory.LazyAttribute(lambda o: o.speaker.email if o.speaker else "c@example.com")
    file_path = factory.Sequence(lambda n: f"recordings/task-{n}")
    status = m.RecordingTask.Status.ACCEPTED


def make_cast() -> SimpleNamespace:
    """Org X and Y, their admins, a member of X, contractors A and B with tasks in X, an outsider, staff."""
    from voicemanager.core.demo import ensure_consent_documents

    ensure_consent_documents()
    org_x = OrganisationFactory(name="Org X")
    org_y = OrganisationFactory(name="Org Y")
    admin_x = UserFactory(email="admin-x@example.com", full_name="Admin X")
    admin_y = UserFactory(email="admin-y@example.com", full_name="Admin Y")
    member_x = UserFactory(email="member-x@example.com", full_name="Member X")
    MembershipFactory(user=admin_x, organisation=org_x, role="admin")
    MembershipFactory(user=admin_y, organisation=org_y, role="admin")
    MembershipFactory(user=member_x, organisation=org_x, role="member")
    contractor_a = UserFactory(email="contractor-a@example.com", full_name="Contractor A", kind="contractor")
    contractor_b = UserFactory(email="contractor-b@example.com", full_name="Contractor B", kind="contractor")
    speaker_a = SpeakerFactory(user=contractor_a)
    speaker_b = SpeakerFactory(user=contractor_b)
    script_x = ScriptFactory(organisation=org_x, title="Script X")
    script_y = ScriptFactory(organisation=org_y, title="Script Y")
    task_a = RecordingTaskFactory(organisation=org_x, script=script_x, speaker=speaker_a)
    task_b = RecordingTaskFactory(organisation=org_x, script=script_x, speaker=speaker_b)
    task_y = RecordingTaskFactory(organisation=org_y, script=script_y, speaker=speaker_b)
    outsider = UserFactory(email="outsider@example.com", full_name="Outsider")
    staff = UserFactory(email="staff@example.com", full_name="Staff Operator", is_staff=True)
    _, api_key_x = m.ApiKey.issue(org_x)
    _, api_key_y = m.ApiKey.issue(org_y)
    return SimpleNamespace(**locals())
