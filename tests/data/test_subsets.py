import pytest

from d2hands.data import split_into_subsets


@pytest.mark.parametrize("count,parts", [(10, 3), (45000, 10), (7, 7), (5, 1)])
def test_subsets_disjoint_cover_near_equal(count, parts):
    subsets = split_into_subsets(count, parts, seed=3)
    flat = [i for s in subsets for i in s]
    assert sorted(flat) == list(range(count))
    assert len(set(flat)) == count
    sizes = [len(s) for s in subsets]
    assert max(sizes) - min(sizes) <= 1


def test_subsets_deterministic_and_seeded():
    assert split_into_subsets(100, 4, seed=7) == split_into_subsets(100, 4, seed=7)
    assert split_into_subsets(100, 4, seed=7) != split_into_subsets(100, 4, seed=8)


def test_subsets_same_on_every_machine():
    # numpy's PCG64 stream is specified: default_rng(0).permutation(10) is
    # [4, 6, 2, 7, 3, 5, 9, 0, 8, 1] on any machine, so this split is fixed.
    assert split_into_subsets(10, 2, seed=0) == [[2, 3, 4, 6, 7], [0, 1, 5, 8, 9]]


def test_subsets_bad_counts():
    with pytest.raises(ValueError, match="non-empty"):
        split_into_subsets(3, 4, seed=0)
    with pytest.raises(ValueError, match="at least 1"):
        split_into_subsets(3, 0, seed=0)
