import pytest

from booth.tests.helpers import give_consent, login


@pytest.fixture
def booth(cast):
    """Contractor A, logged in, consent complete for task A."""
    client = login(cast.contractor_a)
    give_consent(client, cast.task_a)
    return client
