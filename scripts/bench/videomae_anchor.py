"""PyTorch anchor for the whole-encoder video benchmark (VideoMaeBenchmark.java; run on the GPU machine).

    python3 videomae_anchor.py write MODEL_DIR
        A ViT-Base VideoMAE encoder (hidden 768, 12 layers x 12 heads, MLP 3072, 224 px, patch 16, tubelet 2) with
        Hugging Face's random init, saved with save_pretrained (float32 safetensors), so that ours and the anchor
        time the same weights.
    python3 videomae_anchor.py time MODEL_DIR [iters] [latent frames...]
        Hugging Face's VideoMAEModel in bf16 (inference mode), loaded with num_frames = 2 x latent frames, on clips
        already on the GPU: attention through SDPA (dense), then through compiled flex_attention with the radial
        mask (delta 1, no sink, every layer), plugged in as an attention implementation. CUDA events, median of
        iters after 3 warm-ups, 3 rotating clips.
"""
import os
import sys

import torch
from transformers import VideoMAEConfig, VideoMAEImageProcessor, VideoMAEModel

from cuda_timing import time_ms  # scripts/bench, on sys.path as the script's own directory
from radial_anchors import S, density, radial_flex, w_table

dev = "cuda"
RADIAL = {}  # the compiled flex call for the clip length being timed, and how often the model reached it


def radial_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    """An attention implementation for Hugging Face models: query/key/value [B, H, N, D] -> [B, N, H, D]."""
    RADIAL["calls"] += 1
    return RADIAL["flex"](query, key, value).transpose(1, 2).contiguous(), None


def write(out_dir):
    torch.manual_seed(0)
    config = VideoMAEConfig(image_size=224, patch_size=16, num_channels=3, num_frames=16, tubelet_size=2,
                            hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                            use_mean_pooling=True)
    model = VideoMAEModel(config).eval()
    model.save_pretrained(out_dir)
    VideoMAEImageProcessor().save_pretrained(out_dir)
    print(f"[video-anchor] wrote {out_dir}: {sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters")


def flex_for(frames):
    probe = torch.randn(1, 12, frames * S, 64, device=dev, dtype=torch.bfloat16)
    flex, _, _ = radial_flex(frames, (probe, probe, probe), "[video-anchor]")
    return flex, density(frames, w_table(frames))


def time_model(model_dir, latent, impl, iters):
    model = VideoMAEModel.from_pretrained(model_dir, num_frames=2 * latent, torch_dtype=torch.bfloat16,
                                          attn_implementation=impl).to(dev).eval()
    sets = [(torch.randn(1, 2 * latent, 3, 224, 224, device=dev, dtype=torch.bfloat16),) for _ in range(3)]
    with torch.inference_mode():
        ms = time_ms(lambda x: model(pixel_values=x).last_hidden_state, sets, iters, warmup=3)
    del model
    torch.cuda.empty_cache()
    return ms


def time_all(model_dir, iters, frames):
    import transformers
    print(f"[video-anchor] {torch.cuda.get_device_name()} torch {torch.__version__} transformers "
          f"{transformers.__version__}, batch 1, bf16")
    try:
        from transformers import AttentionInterface
        AttentionInterface.register("vicinity_radial", radial_attention)
        radial_ok = True
    except ImportError:
        radial_ok = False
        print("[video-anchor] this transformers has no AttentionInterface: radial anchor skipped")
    print("[video-anchor] latent frames | tokens | density | HF sdpa dense ms | HF flex radial ms")
    for latent in frames:
        dense_ms = time_model(model_dir, latent, "sdpa", iters)
        radial_ms, dens = float("nan"), float("nan")
        if radial_ok:
            RADIAL["flex"], dens = flex_for(latent)
            RADIAL["calls"] = 0
            try:
                radial_ms = time_model(model_dir, latent, "vicinity_radial", iters)
                if RADIAL["calls"] == 0:
                    radial_ms = float("nan")
                    print("[video-anchor] the model never called the radial implementation: not timed")
            except Exception as e:
                print(f"[video-anchor] radial anchor failed at {latent} latent frames: {type(e).__name__}: {e}")
        print(f"[video-anchor] {latent} | {latent * S} | {dens:.4f} | {dense_ms:.2f} | {radial_ms:.2f}")


if __name__ == "__main__":
    cmd, model_dir = sys.argv[1], sys.argv[2]
    if cmd == "write":
        os.makedirs(model_dir, exist_ok=True)
        write(model_dir)
    else:
        iters = int(sys.argv[3]) if len(sys.argv) > 3 else 10
        time_all(model_dir, iters, [int(x) for x in sys.argv[4:]] or [16, 32, 64])
