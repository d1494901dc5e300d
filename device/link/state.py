"""What the link keeps on flash besides the journal: uplink numbering and the offline snapshot.

One small JSON file, replaced atomically (written to a temporary name, then renamed), so a
power cut leaves the old or the new one:

    {"up": <first uplink number not yet promised>, "snap": [<downlink seq>, <ceiling>, <spent>]}

Uplink numbers must never repeat (the server refuses a replayed number), but writing the
file for every message would wear the flash: numbers are reserved in blocks, the block's
end written before any number in it is used; after a reboot numbering starts at the last
reserved end, skipping whatever the old block did not use.

The snapshot is the newest (downlink seq, ceiling, spent) the server sent: what the
handheld may sell offline (link/allowance.py). It is written before the answers that came
with it are journaled, so after a power cut the snapshot is never older than an answer.
"""

import json

BLOCK = 64


class LinkState:
    """The link's little file, through an fs object shaped like journal/fs_os.OsFs."""

    def __init__(self, fs, path):
        self._fs = fs
        self._path = path
        self._next = 1  # next uplink number to use
        self._reserved = 1  # numbers below this may be used without writing the file
        self.snapshot = [0, 0, 0]  # downlink seq, ceiling, spent
        self.writes = 0

    def load(self):
        """Read the file (a missing or damaged one: start as a new device would)."""
        try:
            with self._fs.open(self._path, "rb") as f:
                data = json.loads(f.read())
            up = data["up"]
            snap = data["snap"]
            if isinstance(up, int) and up >= 1 and len(snap) == 3:
                self._next = up
                self._reserved = up
                self.snapshot = [int(snap[0]), int(snap[1]), int(snap[2])]
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return self

    def next_seq(self):
        """The next uplink sequence number (reserving a new block on flash when needed)."""
        if self._next >= self._reserved:
            self._reserved = self._next + BLOCK
            self._save()
        seq = self._next
        self._next = seq + 1
        return seq

    def take_snapshot(self, seq, ceiling, spent):
        """Keep (ceiling, spent) if seq is newer than the snapshot held; True if kept."""
        if seq <= self.snapshot[0]:
            return False
        self.snapshot = [seq, ceiling, spent]
        self._save()
        return True

    def _save(self):
        tmp = self._path + ".tmp"
        with self._fs.open(tmp, "wb") as f:
            f.write(json.dumps({"up": self._reserved, "snap": self.snapshot}).encode())
        self._fs.rename(tmp, self._path)
        self.writes += 1
