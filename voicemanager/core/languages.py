"""Languages supported for professional voice cloning (codes are ISO 639-1 where one exists)."""

PROFESSIONAL_LANGUAGES: list[tuple[str, str]] = [
    ("zh", "Chinese"), ("ko", "Korean"), ("nl", "Dutch"), ("tr", "Turkish"), ("sv", "Swedish"),
    ("id", "Indonesian"), ("fil", "Filipino"), ("ja", "Japanese"), ("uk", "Ukrainian"), ("el", "Greek"),
    ("cs", "Czech"), ("fi", "Finnish"), ("ro", "Romanian"), ("ru", "Russian"), ("da", "Danish"),
    ("bg", "Bulgarian"), ("ms", "Malay"), ("sk", "Slovak"), ("hr", "Croatian"), ("ar", "Classic Arabic"),
    ("ta", "Tamil"), ("en", "English"), ("pl", "Polish"), ("de", "German"), ("es", "Spanish"),
    ("fr", "French"), ("it", "Italian"), ("hi", "Hindi"), ("pt", "Portuguese"), ("hu", "Hungarian"),
    ("vi", "Vietnamese"), ("no", "Norwegian"),
]
LANGUAGE_CHOICES = sorted(PROFESSIONAL_LANGUAGES, key=lambda item: item[1])
LANGUAGE_NAMES = dict(PROFESSIONAL_LANGUAGES)
