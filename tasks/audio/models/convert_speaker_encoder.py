"""Convert Resemblyzer's GE2E speaker encoder to ONNX, once; the app never imports torch.

What it does: loads ``pretrained.pt`` from the ``resemblyzer`` wheel (Apache-2.0, the
weights ship inside it), exports the encoder (3-layer LSTM, 256 units, linear + ReLU,
L2 norm) to ``speaker_encoder.onnx`` beside this script, then checks the result three ways:

1. ONNX vs torch on the same random mel batches (max abs difference of the embeddings);
2. the app's whole pipeline (``tasks.audio.speaker.embed``: soundfile + soxr + numpy mel +
   webrtcvad trimming + onnxruntime) against Resemblyzer's own (librosa + torch) on the
   test fixtures in ``tasks/tests/fixtures/speaker/``;
3. it writes Resemblyzer's embedding of one fixture to
   ``tasks/tests/fixtures/speaker/reference_embedding.json``, which a test compares with the
   app's embedding of the same file, so the committed model and frontend cannot drift apart.

Run it in a throwaway venv (torch is never a dependency of the app), from the repository root:

    python3.11 -m venv /work/convert-venv
    /work/convert-venv/bin/pip install torch==2.13.0 resemblyzer==0.1.4 onnx==1.23.2 onnxruntime==1.30.0 \\
        soundfile==0.14.0 soxr==1.1.0 webrtcvad-wheels==2.0.14.post1
    /work/convert-venv/bin/pip uninstall -y typing   # resemblyzer pulls the old `typing` backport, which breaks torch
    /work/convert-venv/bin/python tasks/audio/models/convert_speaker_encoder.py

(torch 2.13.0 installs from a local CPU wheel here.) The output is deterministic for a given
torch version; commit ``speaker_encoder.onnx`` and the reference embedding together.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
OUT = HERE / "speaker_encoder.onnx"
FIXTURES = ROOT / "tasks" / "tests" / "fixtures" / "speaker"
REFERENCE_CLIP = "367-130732-0004.flac"


def export() -> None:
    import torch
    from resemblyzer import VoiceEncoder

    encoder = VoiceEncoder(device="cpu", verbose=False).eval()

    class Partials(torch.nn.Module):
        """The encoder's forward: mel partials (batch, frames, 40) -> L2-normed embeddings (batch, 256)."""

        def __init__(self, enc):
            super().__init__()
            self.enc = enc

        def forward(self, mels):
            return self.enc(mels)

    model = Partials(encoder).eval()
    example = torch.rand(3, 160, 40)
    torch.onnx.export(
        model, (example,), str(OUT), input_names=["mels"], output_names=["embeddings"],
        dynamic_axes={"mels": {0: "batch", 1: "frames"}, "embeddings": {0: "batch"}},
        opset_version=17, dynamo=False,
    )
    import onnx

    proto = onnx.load(str(OUT))
    onnx.checker.check_model(proto)
    proto.doc_string = ("Resemblyzer 0.1.4 GE2E voice encoder (Apache-2.0, Copyright 2019 Resemble.AI), "
                        "converted by tasks/audio/models/convert_speaker_encoder.py")
    onnx.save(proto, str(OUT))

    import onnxruntime as ort

    sess = ort.InferenceSession(str(OUT), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    worst = 0.0
    for batch, frames in [(1, 160), (7, 160), (2, 93)]:
        mels = rng.random((batch, frames, 40), dtype=np.float32) * 3
        with torch.no_grad():
            ref = model(torch.from_numpy(mels)).numpy()
        got = sess.run(None, {"mels": mels})[0]
        worst = max(worst, float(np.max(np.abs(ref - got))))
    print(f"ONNX vs torch on random mels: max |diff| = {worst:.2e}")
    if worst > 1e-4:
        sys.exit("ONNX output differs from torch's")


def check_pipeline() -> None:
    """The app's numpy/onnxruntime pipeline against Resemblyzer's librosa/torch one, file by file."""
    from resemblyzer import VoiceEncoder, preprocess_wav

    sys.path.insert(0, str(ROOT))
    from tasks.audio import speaker

    encoder = VoiceEncoder(device="cpu", verbose=False)
    clips = sorted(FIXTURES.glob("*.flac"))
    if not clips:
        sys.exit(f"no fixtures in {FIXTURES}")
    reference = None
    for clip in clips:
        theirs = encoder.embed_utterance(preprocess_wav(clip))
        ours = speaker.embed(clip, model_path=OUT)
        cos = float(np.dot(theirs, ours))
        print(f"{clip.name}: cosine(Resemblyzer, app) = {cos:.6f}")
        if cos < 0.999:
            sys.exit("the app's pipeline does not reproduce Resemblyzer's embedding")
        if clip.name == REFERENCE_CLIP:
            reference = theirs
    if reference is not None:
        out = FIXTURES / "reference_embedding.json"
        out.write_text(json.dumps({
            "clip": REFERENCE_CLIP,
            "made_by": "Resemblyzer 0.1.4 (torch, librosa): VoiceEncoder().embed_utterance(preprocess_wav(clip))",
            "model_sha256": hashlib.sha256(OUT.read_bytes()).hexdigest(),
            "embedding": [round(float(v), 7) for v in reference],
        }, indent=1) + "\n")
        print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    export()
    check_pipeline()
    print(f"{OUT.relative_to(ROOT)}: {OUT.stat().st_size / 1e6:.1f} MB, sha256 {hashlib.sha256(OUT.read_bytes()).hexdigest()}")
