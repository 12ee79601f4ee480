"""Neighborhood attention exactly as NATTEN defines it (docs/design/neighborhood-attention.md), in torch.

Used to make reference outputs with Hugging Face's DiNAT modules: transformers 5.x's own attention forward
is broken (wrong q/k/v layout, removed NATTEN functions), so the fixture scripts replace
NeighborhoodAttention.forward with `patched_forward` below. Everything here runs in float64.
"""
import math

import torch


def axis_windows(length: int, kernel: int, dilation: int):
    """Per query index on one axis: the k neighbour indices and the first rpb row (the spec's table)."""
    r = kernel // 2
    neighbours, bias_start = [], []
    for i in range(length):
        g, ip = i % dilation, i // dilation
        group_len = length // dilation + (1 if g < length % dilation else 0)
        sp = min(max(ip - r, 0), group_len - kernel)
        start = sp * dilation + g
        neighbours.append([start + t * dilation for t in range(kernel)])
        bias_start.append((kernel - 1) - (ip - sp))
    return torch.tensor(neighbours), torch.tensor(bias_start)


def brute_force_axis(length: int, kernel: int, dilation: int):
    """An independent statement of the same rule, used only to check axis_windows: among the windows of k
    consecutive same-group positions that contain the query, take the one whose centre is nearest."""
    out = []
    for i in range(length):
        group = [j for j in range(length) if j % dilation == i % dilation]
        best = None
        for s in range(len(group) - kernel + 1):
            window = group[s:s + kernel]
            if i not in window:
                continue
            distance = abs(window[kernel // 2] - i)
            if best is None or distance < best[0]:
                best = (distance, window)
        out.append(best[1])
    return out


def check_axis_rule():
    # Worked examples of the spec.
    n, pb = axis_windows(10, 3, 2)
    assert n[0].tolist() == [0, 2, 4] and pb[0] == 2
    assert n[8].tolist() == [4, 6, 8] and n[9].tolist() == [5, 7, 9] and pb[9] == 0
    assert axis_windows(11, 3, 2)[0][10].tolist() == [6, 8, 10]
    n, pb = axis_windows(7, 7, 1)
    assert pb[0] == 6 and pb[6] == 0 and n[3].tolist() == list(range(7))
    for length in range(1, 40):
        for kernel in (1, 3, 5, 7, 9, 13):
            for dilation in range(1, 6):
                if kernel * dilation > length:
                    continue
                n, pb = axis_windows(length, kernel, dilation)
                assert n.tolist() == brute_force_axis(length, kernel, dilation), (length, kernel, dilation)
                for i in range(length):
                    # bias index of neighbour t == (k-1) + (key - i) / d
                    for t in range(kernel):
                        assert pb[i] + t == (kernel - 1) + (n[i][t].item() - i) // dilation


def neighborhood_attention_2d(q, k, v, rpb, kernel: int, dilation: int):
    """q, k, v: [B, heads, H, W, D] with q already scaled; rpb: [heads, 2k-1, 2k-1] -> [B, heads, H, W, D]."""
    _, heads, height, width, _ = q.shape
    ny, pby = axis_windows(height, kernel, dilation)
    nx, pbx = axis_windows(width, kernel, dilation)
    rows = ny[:, None, :, None].expand(height, width, kernel, kernel)
    cols = nx[None, :, None, :].expand(height, width, kernel, kernel)
    keys = k[:, :, rows, cols]  # [B, heads, H, W, k, k, D]
    values = v[:, :, rows, cols]
    scores = torch.einsum("bhyxd,bhyxijd->bhyxij", q, keys)
    t = torch.arange(kernel)
    bias_rows = (pby[:, None] + t[None, :])[:, None, :, None].expand(height, width, kernel, kernel)
    bias_cols = (pbx[:, None] + t[None, :])[None, :, None, :].expand(height, width, kernel, kernel)
    scores = scores + rpb[:, bias_rows, bias_cols][None]
    probs = torch.softmax(scores.reshape(*scores.shape[:4], -1), dim=-1).reshape(scores.shape)
    return torch.einsum("bhyxij,bhyxijd->bhyxd", probs, values)


def brute_force_na_2d(q, k, v, rpb, kernel, dilation):
    """Per-query loop over the k*k neighbours: slow, obviously right; checks neighborhood_attention_2d."""
    out = torch.empty_like(q)
    b_, heads, height, width, _ = q.shape
    ny, pby = axis_windows(height, kernel, dilation)
    nx, pbx = axis_windows(width, kernel, dilation)
    for b in range(b_):
        for h in range(heads):
            for y in range(height):
                for x in range(width):
                    scores, vals = [], []
                    for ty in range(kernel):
                        for tx in range(kernel):
                            ky, kx = ny[y][ty], nx[x][tx]
                            s = torch.dot(q[b, h, y, x], k[b, h, ky, kx]) + rpb[h, pby[y] + ty, pbx[x] + tx]
                            scores.append(s)
                            vals.append(v[b, h, ky, kx])
                    p = torch.softmax(torch.stack(scores), 0)
                    out[b, h, y, x] = (p[:, None] * torch.stack(vals)).sum(0)
    return out


def check_na_2d():
    g = torch.Generator().manual_seed(7)
    for (height, width, kernel, dilation) in [(7, 9, 3, 2), (10, 11, 5, 2), (7, 7, 7, 1), (13, 8, 3, 3)]:
        q, k, v = (torch.randn(2, 2, height, width, 4, generator=g, dtype=torch.float64) for _ in range(3))
        rpb = torch.randn(2, 2 * kernel - 1, 2 * kernel - 1, generator=g, dtype=torch.float64)
        fast = neighborhood_attention_2d(q, k, v, rpb, kernel, dilation)
        slow = brute_force_na_2d(q, k, v, rpb, kernel, dilation)
        assert torch.allclose(fast, slow, atol=1e-12), (height, width, kernel, dilation)


def patched_forward(self, hidden_states, output_attentions=False, *args, **kwargs):
    """Replacement for transformers' NeighborhoodAttention.forward: [B, H, W, C] -> ([B, H, W, C], None)."""
    batch, height, width, _ = hidden_states.shape
    heads = self.num_attention_heads
    head_dim = self.attention_head_size

    def split(x):
        return x.view(batch, height, width, heads, head_dim).permute(0, 3, 1, 2, 4)

    q = split(self.query(hidden_states)) / math.sqrt(head_dim)
    k = split(self.key(hidden_states))
    v = split(self.value(hidden_states))
    ctx = neighborhood_attention_2d(q, k, v, self.rpb, self.kernel_size, self.dilation)
    ctx = ctx.permute(0, 2, 3, 1, 4).reshape(batch, height, width, heads * head_dim)
    return (ctx, None)
