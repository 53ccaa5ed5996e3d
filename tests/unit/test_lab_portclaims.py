"""Port claims: two labs picking at the same moment never get the same port."""

from __future__ import annotations

import threading
from pathlib import Path

from ovsagent.lab.portclaims import PortClaims


def _lab(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "state.json").write_text("{}")
    return root


def _first_free(others: set[int]) -> dict[str, int]:
    return {"api": next(p for p in range(9706, 9800) if p not in others)}


def test_concurrent_labs_get_distinct_ports(tmp_path: Path) -> None:
    claims = PortClaims(tmp_path / "claims")
    roots = [_lab(tmp_path, f"lab{i}") for i in range(8)]
    chosen: list[int] = []
    barrier = threading.Barrier(len(roots))

    def run(root: Path) -> None:
        barrier.wait()
        chosen.append(claims.claim(root, _first_free)["api"])

    threads = [threading.Thread(target=run, args=(r,)) for r in roots]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(chosen) == list(range(9706, 9714))


def test_a_lab_keeps_its_own_claim_and_release_frees_it(tmp_path: Path) -> None:
    claims = PortClaims(tmp_path / "claims")
    a, b = _lab(tmp_path, "a"), _lab(tmp_path, "b")
    assert claims.claim(a, _first_free) == {"api": 9706}
    assert claims.claim(a, _first_free) == {"api": 9706}  # its own claim is not "other"
    assert claims.claim(b, _first_free) == {"api": 9707}
    claims.release(a)
    c = _lab(tmp_path, "c")
    assert claims.claim(c, _first_free) == {"api": 9706}


def test_claims_of_a_lab_without_state_are_void(tmp_path: Path) -> None:
    claims = PortClaims(tmp_path / "claims")
    a = _lab(tmp_path, "a")
    claims.claim(a, _first_free)
    (a / "state.json").unlink()  # crashed lab whose directory was cleaned
    assert claims.claim(_lab(tmp_path, "b"), _first_free) == {"api": 9706}
