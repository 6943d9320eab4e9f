"""django-storages against a real S3-compatible server (SeaweedFS)."""
import urllib.request

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


def test_s3_save_read_presigned_url_delete(s3_storage):
    name = default_storage.save("checks/hello.txt", ContentFile(b"hello s3"))
    assert default_storage.exists(name)
    with default_storage.open(name) as fh:
        assert fh.read() == b"hello s3"
    url = default_storage.url(name)
    assert "X-Amz-Signature" in url
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback S3
        assert response.read() == b"hello s3"
    default_storage.delete(name)
    assert not default_storage.exists(name)
