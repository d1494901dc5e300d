"""EA07 written bit by bit, straight from the notes: the yardstick for the table-driven one."""

from server.sts.sta import S1, S2, P

M64 = (1 << 64) - 1


def rotl(v: int, n: int) -> int:
    n %= 64
    return ((v << n) | (v >> (64 - n))) & M64


def encrypt(block: int, key: int) -> int:
    k = rotl(~key & M64, 64 - 12)
    x = block
    for _ in range(16):
        substituted = 0
        for n in range(16):
            box = S2 if k >> (4 * n + 3) & 1 else S1
            substituted |= box[x >> (4 * n) & 15] << (4 * n)
        permuted = 0
        for i in range(64):
            if substituted >> i & 1:
                permuted |= 1 << P[i]
        x = permuted
        k = rotl(k, 1)
    return x


def decrypt(block: int, key: int) -> int:
    inv_p = [P.index(i) for i in range(64)]
    inv_s1 = [S1.index(v) for v in range(16)]
    inv_s2 = [S2.index(v) for v in range(16)]
    k = key
    x = block
    for _ in range(16):
        unpermuted = 0
        for i in range(64):
            if x >> i & 1:
                unpermuted |= 1 << inv_p[i]
        out = 0
        for n in range(16):
            box = inv_s1 if k >> (4 * n) & 1 else inv_s2
            out |= box[unpermuted >> (4 * n) & 15] << (4 * n)
        x = out
        k = rotl(k, 63)
    return x
