"""File jobs: analyse, denoise (one file or a set). Owned by the audio-worker work (issue 5)."""
from celery import shared_task


@shared_task(name="tasks.files.process_new_file", acks_late=True)
def process_new_file(file_pk: int) -> None:
    """Analyse and (per organisation settings) denoise a file that just landed in the file manager."""
    return None
