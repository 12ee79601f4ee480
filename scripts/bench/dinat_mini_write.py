"""Writes dinat_anchor.py's random-weight DiNAT-mini (same seed, config and rpb init) as a Hugging Face
directory, without compiling or timing anything (a few seconds): for Java-only runs such as the `graphs`
step of run_device.sh. Usage: python3 dinat_mini_write.py OUT_MODEL_DIR
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dinat_anchor import MINI  # noqa: E402  (also lets HF build DiNAT without natten)
from transformers import DinatConfig, DinatForImageClassification  # noqa: E402
from transformers.models.dinat import modeling_dinat  # noqa: E402


def main():
    out_dir = sys.argv[1]
    torch.manual_seed(0)
    labels = {i: f"class_{i}" for i in range(1000)}
    cfg = DinatConfig(patch_size=4, num_channels=3, num_labels=1000, id2label=labels,
                      label2id={v: k for k, v in labels.items()}, **MINI)
    model = DinatForImageClassification(cfg).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, modeling_dinat.NeighborhoodAttention):
                m.rpb.normal_(0, 0.5)
    model.save_pretrained(out_dir)
    with open(os.path.join(out_dir, "preprocessor_config.json"), "w") as f:
        json.dump({"image_processor_type": "ViTImageProcessor", "do_resize": True, "size": {"height": 224, "width": 224},
                   "resample": 2, "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
                   "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]}, f)
    print(f"[model-write] DiNAT-mini written to {out_dir}")


if __name__ == "__main__":
    main()
