"""lib.text: vectorizers equal to scikit-learn's, n-gram LMs checked by brute force, PPMI/SVD, word2vec losses."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.feature_extraction import text as sktext

import lib
from lib import text

DOCS_EN = [
    "The sky is blue.",
    "The sun is bright today.",
    "The sun in the sky is bright.",
    "We can see the shining sun, the bright sun.",
]
DOCS_COUNT = ["the red dog", "cat eats dog", "dog eats food", "red cat eats"]
DOCS_MIXED = DOCS_EN + ["", "Blue SKY, blue sea!", "unique words only here"]
DOCS_ZH = [" ".join(s) for s in lib.data.text_corpus("zh_book")[:300]]

OPTIONS = [
    {},
    {"ngram_range": (1, 2)},
    {"ngram_range": (2, 3), "lowercase": False},
    {"norm": "l1", "sublinear_tf": True},
    {"norm": None, "smooth_idf": False},
    {"use_idf": False},
    {"analyzer": "char", "ngram_range": (1, 3)},
    {"min_df": 2, "max_df": 0.9},
    {"min_df": 0.1, "max_df": 3},
    {"stop_words": ["the", "is", "in", "we"], "binary": True},
    {"token_pattern": r"(?u)\b\w+\b"},
    {"tokenizer": str.split, "token_pattern": None},
    {"vocabulary": ["sun", "sky", "blue", "nothing"]},
]


@pytest.mark.parametrize("docs", [DOCS_EN, DOCS_COUNT, DOCS_MIXED, DOCS_ZH], ids=["en", "count", "mixed", "zh"])
@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: ",".join(o) or "defaults")
def test_tfidf_and_count_equal_scikit_learn(docs, opts):
    if "vocabulary" in opts and docs is not DOCS_EN:
        return
    for ours_cls, theirs_cls in (
        (text.TfidfVectorizer, sktext.TfidfVectorizer),
        (text.CountVectorizer, sktext.CountVectorizer),
    ):
        o = {
            k: v
            for k, v in opts.items()
            if theirs_cls is sktext.TfidfVectorizer or k not in ("norm", "sublinear_tf", "smooth_idf", "use_idf")
        }
        try:
            theirs = theirs_cls(**o)
            B = theirs.fit_transform(docs)
        except ValueError as err:
            with pytest.raises(ValueError) as ours_err:
                ours_cls(**o).fit_transform(docs)
            assert str(ours_err.value) == str(err)
            continue
        ours = ours_cls(**o)
        A = ours.fit_transform(docs)
        assert isinstance(A, sp.csr_matrix) and A.dtype == B.dtype and A.shape == B.shape
        assert abs(A - B).max() <= 1e-12 if A.nnz else B.nnz == 0
        assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())
        assert ours.vocabulary_ == theirs.vocabulary_
        new = docs[:2] + ["a completely unseen document", "sun sky zzz"]
        assert abs(ours.transform(new) - theirs.transform(new)).max() <= 1e-12
        assert abs(ours.fit(docs).transform(docs) - B).max() <= 1e-12
        if hasattr(theirs, "idf_"):
            np.testing.assert_allclose(ours.idf_, theirs.idf_, rtol=0, atol=1e-13)


def test_max_features_and_count_table():
    X = text.CountVectorizer().fit(DOCS_COUNT)
    assert list(X.get_feature_names_out()) == ["cat", "dog", "eats", "food", "red", "the"]
    np.testing.assert_array_equal(X.transform(["apple dog dog"]).toarray(), [[0, 2, 0, 0, 0, 0]])
    ours = text.CountVectorizer(max_features=3).fit_transform(DOCS_EN)
    theirs = sktext.CountVectorizer(max_features=3).fit_transform(DOCS_EN)
    assert abs(ours - theirs).max() == 0


def test_vectorizer_errors():
    v = text.TfidfVectorizer()
    with pytest.raises(ValueError, match="string object received"):
        v.fit("one document")
    with pytest.raises(TypeError, match=r"raw_documents\[1\]"):
        v.fit(["fine", 3])
    with pytest.raises(ValueError, match="empty vocabulary"):
        v.fit(["", "a b"])
    with pytest.raises(ValueError, match="empty vocabulary"):
        text.CountVectorizer(stop_words=["the"]).fit(["the the", "the"])
    with pytest.raises(ValueError, match="ngram_range"):
        text.CountVectorizer(ngram_range=(2, 1)).fit(DOCS_EN)
    with pytest.raises(ValueError, match="norm"):
        text.TfidfVectorizer(norm="l3").fit(DOCS_EN)
    with pytest.raises(ValueError, match="no terms remain"):
        text.CountVectorizer(min_df=3, max_df=3).fit(["ab cd", "ab ef", "cd gh"])
    with pytest.raises(ValueError, match="max_df corresponds"):
        text.CountVectorizer(min_df=3, max_df=1).fit(DOCS_EN)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        text.TfidfVectorizer().transform(DOCS_EN)


def test_tfidf_textbook_table_log10():
    """The classic 4-document table: tf = count / length after stop words, idf = log10(N / df)."""
    stop = ["the", "is", "in", "we"]
    C = text.CountVectorizer(stop_words=stop).fit(DOCS_EN)
    X = C.transform(DOCS_EN).toarray().astype(float)
    tf = X / X.sum(1, keepdims=True)
    idf = np.log10(len(DOCS_EN) / (X > 0).sum(0))
    T = tf * idf
    j = C.vocabulary_
    assert round(T[0, j["blue"]], 4) == 0.3010 and round(T[0, j["sky"]], 4) == 0.1505
    assert round(T[1, j["today"]], 4) == 0.2007 and round(T[3, j["bright"]], 4) == 0.0208
    assert round(T[2, j["sky"]], 4) == 0.1003 and round(T[3, j["sun"]], 4) == 0.0416


# ---------------------------------------------------------------------------------------------
# n-gram language models
# ---------------------------------------------------------------------------------------------
TINY = [["a", "b", "a"], ["b", "a", "c"], ["a", "c"]]


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize(
    "smoothing,kw",
    [("add_k", {"k": 1.0}), ("add_k", {"k": 0.1}), ("kneser_ney", {}), ("kneser_ney", {"discount": 0.4})],
)
def test_ngram_distributions_sum_to_one(n, smoothing, kw):
    lm = text.NGramLM(n, smoothing, **kw).fit(TINY)
    assert lm.vocab_ == ["a", "b", "c", "</s>", "<unk>"]
    # every context of length n-1 over the vocabulary, <s> and an unseen word: a positive distribution summing to 1
    for ctx in itertools.product(["a", "b", "c", "<s>", "zebra"], repeat=n - 1):
        p = lm.distribution(list(ctx))
        assert p.shape == (5,) and (p > 0).all()
        assert abs(p.sum() - 1) < 1e-12
        np.testing.assert_allclose([lm.prob(w, list(ctx)) for w in lm.vocab_], p, atol=1e-15)
    words = ["a", "b", "c", "zzz"]
    for L in range(3):
        for ctx in itertools.product(words, repeat=L):
            p = lm.distribution(ctx)
            assert abs(p.sum() - 1) < 1e-12 and (p > 0).all()
            for i, w in enumerate(lm.vocab_):
                assert abs(lm.prob(w, ctx) - p[i]) < 1e-15


def test_bigram_add_k_and_kneser_ney_by_hand():
    rhyme = lib.data.nursery_rhyme().lower().replace(".", "").split()
    assert len(rhyme) == 39 and len(set(rhyme)) == 25
    assert Counter(rhyme)["a"] == 7 and Counter(rhyme)["crooked"] == 7
    mle = text.NGramLM(2, "add_k", k=0.0).fit([rhyme])
    assert abs(mle.prob("crooked", ["a"]) - 6 / 7) < 1e-15 and abs(mle.prob("little", ["a"]) - 1 / 7) < 1e-15
    assert mle.prob("who", ["man"]) == 1.0
    # add-k on the tiny corpus: c(a, .) = {b: 1, </s>: 1, c: 2}, V = 5
    lm = text.NGramLM(2, "add_k", k=0.5).fit(TINY)
    assert abs(lm.prob("c", ["a"]) - (2 + 0.5) / (4 + 2.5)) < 1e-15
    # interpolated Kneser-Ney, written out for P(c | a) with D = 0.75:
    # unigram continuation counts N1+(. w): a: {<s>, b} = 2, b: {<s>, a} = 2, c: {a} = 1, </s>: {a, c} = 2, <unk>: 0
    D, V = 0.75, 5
    cont = {"a": 2, "b": 2, "c": 1, "</s>": 2, "<unk>": 0}
    total, distinct = 7, 4
    p1 = {w: max(c - D, 0) / total + D * distinct / total / V for w, c in cont.items()}
    assert abs(sum(p1.values()) - 1) < 1e-15
    p2_c_a = max(2 - D, 0) / 4 + D * 3 / 4 * p1["c"]
    kn = text.NGramLM(2, "kneser_ney").fit(TINY)
    assert abs(kn.prob("c", ["a"]) - p2_c_a) < 1e-15
    # an unseen context backs off to the unigram level entirely
    assert abs(kn.prob("c", ["zzz"]) - p1["c"]) < 1e-15


def test_perplexity_is_exp_of_mean_negative_log_prob():
    lm = text.NGramLM(2, "kneser_ney").fit(TINY)
    test = [["a", "b", "c"], ["c", "zzz"]]
    logp = []
    for s in test:
        padded = ["<s>"] + s + ["</s>"]
        for i in range(1, len(padded)):
            ctx = [] if padded[i - 1] == "<s>" else [padded[i - 1]]
            logp.append(math.log(lm.prob(padded[i], ctx)))
    assert abs(lm.perplexity(test) - math.exp(-np.mean(logp))) < 1e-12
    assert math.isinf(text.NGramLM(2, "add_k", k=0.0).fit(TINY).perplexity([["c", "b"]]))
    words = lm.generate(rng=0, max_len=10)
    assert all(w in lm.vocab_ for w in words)


def test_ngram_errors():
    with pytest.raises(ValueError, match="smoothing"):
        text.NGramLM(2, "good_turing").fit(TINY)
    with pytest.raises(TypeError, match="list of token lists"):
        text.NGramLM(2).fit("a b c")
    with pytest.raises(TypeError, match=r"sentences\[0\]"):
        text.NGramLM(2).fit(["a b c"])
    with pytest.raises(ValueError, match="non-empty"):
        text.NGramLM(2).fit([[], []])
    with pytest.raises(ValueError, match="reserved"):
        text.NGramLM(2).fit([["a", "</s>"]])
    with pytest.raises(ValueError, match="discount"):
        text.NGramLM(2, discount=1.5).fit(TINY)


# ---------------------------------------------------------------------------------------------
# co-occurrence, PPMI, SVD
# ---------------------------------------------------------------------------------------------
def test_cooccurrence_rhyme_row_and_symmetry():
    rhyme = lib.data.nursery_rhyme().lower().replace(".", "").split()
    C, vocab = text.cooccurrence_matrix([rhyme], window=5)
    row = C.toarray()[vocab.index("crooked")].astype(int).tolist()
    assert row == [13, 1, 3, 2, 2, 2, 10, 2, 2, 1, 1, 1, 2, 2, 2, 1, 2, 3, 1, 1, 1, 2, 2, 1, 4]
    assert C.toarray()[vocab.index("a")].astype(int).tolist() == [
        10,
        2,
        3,
        2,
        2,
        2,
        13,
        3,
        2,
        1,
        1,
        1,
        1,
        2,
        2,
        1,
        2,
        2,
        1,
        2,
        1,
        2,
        2,
        1,
        4,
    ]
    assert abs(C - C.T).max() == 0
    # brute force on a tiny corpus
    S = [["x", "y", "z", "x"], ["y", "y"]]
    C, vocab = text.cooccurrence_matrix(S, window=2)
    ref = np.zeros((3, 3))
    for s in S:
        for i, j in itertools.permutations(range(len(s)), 2):
            if abs(i - j) <= 2:
                ref[vocab.index(s[i]), vocab.index(s[j])] += 1
    np.testing.assert_array_equal(C.toarray(), ref)


def test_ppmi_brute_force_and_svd():
    rng = np.random.default_rng(0)
    C = rng.poisson(1.0, (7, 7)).astype(float)
    C = C + C.T
    for alpha in (1.0, 0.75):
        M = text.ppmi(sp.csr_matrix(C), alpha=alpha).toarray()
        pc = C.sum(0) ** alpha
        with np.errstate(divide="ignore"):
            ref = np.log(C / C.sum()) - np.log(C.sum(1, keepdims=True) / C.sum()) - np.log(pc / pc.sum())
            ref = np.where(C > 0, np.maximum(ref, 0), 0)
        np.testing.assert_allclose(M, ref, atol=1e-12)
    E, S = text.svd_embeddings(M, 3, power=1.0)
    U, s, Vt = np.linalg.svd(M)
    np.testing.assert_allclose(S, s[:3], rtol=1e-10)
    E2, S2 = text.svd_embeddings(sp.csr_matrix(M), 3, power=1.0)
    np.testing.assert_allclose(np.abs(E2), np.abs(E), atol=1e-8)
    with pytest.raises(ValueError, match="k must be"):
        text.svd_embeddings(M, 7)
    with pytest.raises(ValueError, match="non-negative"):
        text.ppmi(-np.eye(2))


def test_neighbors_and_analogy():
    vocab = ["king", "queen", "man", "woman", "apple"]
    E = np.array([[1, 1, 0], [1, -1, 0], [0, 1, 0.1], [0, -1, 0.1], [0, 0, 1.0]])
    assert text.analogy(E, vocab, "man", "king", "woman")[0][0] == "queen"
    assert text.nearest_neighbors(E, vocab, "king", 1)[0][0] in ("man", "queen")
    with pytest.raises(KeyError, match="prince"):
        text.nearest_neighbors(E, vocab, "prince")


# ---------------------------------------------------------------------------------------------
# word2vec
# ---------------------------------------------------------------------------------------------
def test_skipgram_pairs_and_cbow():
    c, o = text.skipgram_pairs([[0, 1, 2]], 1)
    assert list(zip(c.tolist(), o.tolist())) == [(0, 1), (1, 0), (1, 2), (2, 1)]
    words = "the quick brown fox jumps over the lazy dog".split()
    vocab = sorted(set(words))
    c, o = text.skipgram_pairs([[vocab.index(w) for w in words]], 2)
    pairs = [(vocab[a], vocab[b]) for a, b in zip(c, o)]
    assert pairs[:13] == [("the", "quick"), ("the", "brown"), ("quick", "the"), ("quick", "brown"), ("quick", "fox"),
                          ("brown", "the"), ("brown", "quick"), ("brown", "fox"), ("brown", "jumps"),
                          ("fox", "quick"), ("fox", "brown"), ("fox", "jumps"), ("fox", "over")]  # fmt: skip
    ctx, centers = text.cbow_examples([[0, 1, 2]], 1)
    np.testing.assert_array_equal(ctx, [[1, -1], [0, 2], [1, -1]])
    np.testing.assert_array_equal(centers, [0, 1, 2])
    with pytest.raises(TypeError, match="integer word ids"):
        text.skipgram_pairs([["a", "b"]], 1)


def test_huffman_tree_is_prefix_free_and_optimal_length():
    counts = np.array([5, 9, 12, 13, 16, 45])
    tree = text.huffman_tree(counts)
    codes = ["".join(map(str, c)) for c in tree.codes]
    assert all(not b.startswith(a) for a, b in itertools.permutations(codes, 2))
    assert sorted(len(c) for c in codes) == [1, 3, 3, 3, 4, 4]  # the textbook example: total cost 224
    assert sum(len(c) * n for c, n in zip(codes, counts)) == 224
    assert tree.paths[0][0] == 0 and all(p[0] == 0 for p in tree.paths)  # every path starts at the root
    assert len({n for p in tree.paths for n in p}) == len(counts) - 1


@pytest.mark.parametrize("mode", ["skipgram", "cbow"])
@pytest.mark.parametrize("loss", ["softmax", "hs"])
def test_word2vec_exact_distributions_sum_to_one(mode, loss):
    torch.manual_seed(0)
    counts = np.array([10, 3, 7, 1, 5, 2, 8])
    m = text.Word2Vec(7, 4, mode=mode, loss=loss, counts=counts).double()
    torch.nn.init.normal_(m.out_embed.weight)
    x = torch.tensor([0, 3, 6]) if mode == "skipgram" else torch.tensor([[0, 1, -1, -1], [2, 3, 4, 5]])
    lp = m.log_prob(x)
    np.testing.assert_allclose(lp.exp().sum(-1).detach().numpy(), 1.0, atol=1e-12)
    y = torch.tensor([1, 2, 3])[: len(x)]
    assert abs(m(x, y).item() + lp.gather(1, y[:, None]).mean().item()) < 1e-12


def test_word2vec_softmax_gradient_is_p_minus_onehot():
    torch.manual_seed(0)
    m = text.Word2Vec(6, 3).double()
    torch.nn.init.normal_(m.out_embed.weight)
    x, y = torch.tensor([2]), torch.tensor([4])
    h = m.hidden(x).detach().requires_grad_(True)
    u = h @ m.out_embed.weight.T
    loss = torch.nn.functional.cross_entropy(u, y)
    (g,) = torch.autograd.grad(loss, u)
    e = torch.softmax(u, -1) - torch.nn.functional.one_hot(y, 6)
    assert torch.allclose(g, e, atol=1e-14)
    assert torch.autograd.gradcheck(
        lambda W: torch.nn.functional.cross_entropy(h @ W.T, y),
        (m.out_embed.weight.detach().clone().requires_grad_(True),),
    )


@pytest.mark.parametrize("loss", ["neg", "nce"])
def test_sampled_losses_gradcheck_and_train(loss):
    counts = np.array([30, 20, 10, 5, 5, 3, 2, 1.0])
    m = text.Word2Vec(8, 4, loss=loss, counts=counts).double()
    torch.nn.init.normal_(m.out_embed.weight)
    x, y = torch.tensor([0, 1, 2]), torch.tensor([1, 2, 3])
    # finite differences of the loss with the same noise draw
    W = m.out_embed.weight
    loss0 = m(x, y, generator=torch.Generator().manual_seed(0))
    (g,) = torch.autograd.grad(loss0, W)
    eps, i, j = 1e-6, 1, 2
    with torch.no_grad():
        W[i, j] += eps
    lp = m(x, y, generator=torch.Generator().manual_seed(0)).item()
    with torch.no_grad():
        W[i, j] -= 2 * eps
    lm = m(x, y, generator=torch.Generator().manual_seed(0)).item()
    assert abs((lp - lm) / (2 * eps) - float(g[i, j])) < 1e-7
    # training lowers the loss on a structured corpus (each word predicts the next one)
    lib.utils.seed_everything(0)
    m = text.Word2Vec(8, 6, loss=loss, counts=counts)
    c = np.repeat(np.arange(8), 50)
    hist = text.train_word2vec(m, c, (c + 1) % 8, epochs=20, batch_size=64, lr=0.05)
    assert hist[-1] < 0.5 * hist[0]


def test_nce_loss_formula_and_errors():
    lm_x, ln_x = torch.tensor([0.3, -1.0]), torch.tensor([-0.5, -0.2])
    lm_y, ln_y = torch.tensor([0.1, -2.0, 0.4]), torch.tensor([-1.0, -0.1, -0.7])
    nu = 1.5
    sig = lambda z: 1 / (1 + torch.exp(-z))  # noqa: E731
    ref = (
        -torch.log(sig(lm_x - ln_x - math.log(nu))).mean() - nu * torch.log(1 - sig(lm_y - ln_y - math.log(nu))).mean()
    )
    assert abs(float(text.nce_loss(lm_x, ln_x, lm_y, ln_y, nu)) - float(ref)) < 1e-6
    with pytest.raises(TypeError, match="log_model_data"):
        text.nce_loss(np.zeros(2), ln_x, lm_y, ln_y, 1)
    with pytest.raises(ValueError, match="nu"):
        text.nce_loss(lm_x, ln_x, lm_y, ln_y, 0)


def test_word2vec_errors():
    with pytest.raises(ValueError, match="counts"):
        text.Word2Vec(5, 3, loss="hs")
    with pytest.raises(ValueError, match="mode"):
        text.Word2Vec(5, 3, mode="glove")
    m = text.Word2Vec(5, 3)
    with pytest.raises(TypeError, match="torch.long"):
        m(torch.tensor([0.0]), torch.tensor([1]))
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        m(torch.tensor([7]), torch.tensor([1]))
    with pytest.raises(ValueError, match="targets"):
        m(torch.tensor([0, 1]), torch.tensor([1]))
    c = text.Word2Vec(5, 3, mode="cbow")
    with pytest.raises(ValueError, match="at least one context word"):
        c(torch.tensor([[-1, -1]]), torch.tensor([1]))


def test_corpora_ship_with_lib_and_are_fresh():
    zh, en = lib.data.text_corpus("zh_book"), lib.data.text_corpus("en_templates")
    assert len(zh) > 5000 and len(en) == 800 and all(len(s) >= 4 for s in zh)
    assert sum(map(len, zh)) > 100_000
    with pytest.raises(ValueError, match="name"):
        lib.data.text_corpus("wiki")
    assert text.segment("机器学习") == ["机器", "学习"]
    import importlib.util
    import pathlib

    spec = importlib.util.spec_from_file_location(
        "make_corpus", pathlib.Path(__file__).parents[1] / "tools" / "make_corpus.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.english_sentences() == [" ".join(s) for s in en]


# ---------------------------------------------------------------------------------------------
# contextual models: BERT masking, a small Transformer LM
# ---------------------------------------------------------------------------------------------
def test_mask_tokens_proportions_and_labels():
    ids = np.random.default_rng(0).integers(5, 100, size=100_000)
    ids[:10] = 1  # a special token, never masked
    inputs, labels = text.mask_tokens(ids, mask_id=4, vocab_size=100, rng=0, special=(1,))
    chosen = labels != -100
    assert abs(chosen.mean() - 0.15) < 0.005 and not chosen[:10].any()
    np.testing.assert_array_equal(labels[chosen], ids[chosen])
    np.testing.assert_array_equal(inputs[~chosen], ids[~chosen])
    frac_mask = (inputs[chosen] == 4).mean()
    frac_same = (inputs[chosen] == ids[chosen]).mean()
    assert abs(frac_mask - 0.8) < 0.01 and abs(frac_same - 0.1) < 0.01
    with pytest.raises(ValueError, match="p_mask"):
        text.mask_tokens(ids, mask_id=4, vocab_size=100, p_mask=0.95, p_random=0.1)
    with pytest.raises(TypeError, match="integer"):
        text.mask_tokens(np.zeros(3), mask_id=4, vocab_size=10)


@pytest.mark.parametrize("causal", [True, False])
def test_transformer_lm_causality_and_attention(causal):
    torch.manual_seed(0)
    m = text.TransformerLM(
        20, d_model=16, nhead=2, num_layers=2, dim_feedforward=32, max_len=8, causal=causal, pad_id=0
    )
    x = torch.tensor([[1, 5, 6, 7, 8, 0, 0]])
    y = x.clone()
    y[0, 4] = 9  # change a later token
    with torch.no_grad():
        a, b = m(x), m(y)
    same_before = torch.allclose(a[0, :4], b[0, :4], atol=1e-6)
    assert same_before == causal
    maps = m.attention_maps(x)
    assert len(maps) == 2 and maps[0].shape == (1, 2, 7, 7)
    assert torch.allclose(maps[0].sum(-1), torch.ones(1, 2, 7), atol=1e-6)
    assert maps[1][0, :, :, 5:].abs().max() == 0  # padding is never attended to
    if causal:
        assert torch.triu(maps[0][0, 0], 1).abs().max() == 0
    with pytest.raises(ValueError, match="max_len"):
        m(torch.zeros(1, 9, dtype=torch.long))
    with pytest.raises(TypeError, match="torch.long"):
        m(torch.zeros(1, 3))
    with pytest.raises(ValueError, match=r"\[0, 20\)"):
        m(torch.tensor([[25]]))


# ---------------------------------------------------------------------------------------------
# ELMo: forward and backward LSTM language models (lib.rnn.LSTM)
# ---------------------------------------------------------------------------------------------
ELMO_IDS = torch.tensor([[1, 5, 6, 7, 8, 2, 0, 0], [1, 9, 10, 2, 0, 0, 0, 0], [1, 11, 12, 13, 14, 15, 16, 2]])


def _elmo_reference(m, ids):
    """The same computation with torch.nn.LSTM, each sentence on its own without padding, the backward LM
    run on the reversed sentence: per-layer states and per-position log-probabilities of both directions."""
    H, rows = m.hidden_size, []
    for s in ids:
        s = s[s != m.pad_id]
        x = m.embedding(s)[None]
        f, b = x, x.flip(1)
        states = [torch.cat([x, x], -1)[0]]
        for fl, bl in zip(m.forward_lm, m.backward_lm):
            tf, tb = (torch.nn.LSTM(H, H, batch_first=True) for _ in range(2))
            tf.load_state_dict(fl.state_dict())
            tb.load_state_dict(bl.state_dict())
            f, b = tf(f)[0], tb(b)[0]
            states.append(torch.cat([f, b.flip(1)], -1)[0])
        rows.append(torch.stack(states))
    return rows


def test_elmo_equals_torch_lstm_reference_and_pads():
    torch.manual_seed(0)
    m = text.ELMo(20, hidden_size=6, num_layers=2, pad_id=0)
    with torch.no_grad():
        S = m.layer_states(ELMO_IDS)
        refs = _elmo_reference(m, ELMO_IDS)
        assert S.shape == (3, 3, 8, 12)
        for i, ref in enumerate(refs):
            n = ref.shape[1]
            torch.testing.assert_close(S[:, i, :n], ref, atol=1e-6, rtol=1e-5)
        # the loss: mean of the two directions' mean cross-entropies over the real (non-padding) predictions
        lp_f, lp_b = [], []
        for ref, s in zip(refs, ELMO_IDS):
            s = s[s != 0]
            top = ref[-1]
            lf = torch.log_softmax(m.output(top[:, :6]), -1)
            lb = torch.log_softmax(m.output(top[:, 6:]), -1)
            lp_f += [lf[k, s[k + 1]] for k in range(len(s) - 1)]
            lp_b += [lb[k, s[k - 1]] for k in range(1, len(s))]
        expected = -(torch.stack(lp_f).mean() + torch.stack(lp_b).mean()) / 2
        torch.testing.assert_close(m.lm_loss(ELMO_IDS), expected, atol=1e-6, rtol=1e-5)


def test_elmo_directions_see_one_side_and_scalar_mix():
    torch.manual_seed(1)
    m = text.ELMo(20, hidden_size=5, num_layers=2, pad_id=0)
    x = ELMO_IDS[:1]
    y = x.clone()
    y[0, 3] = 17  # change the word at position 3
    with torch.no_grad():
        (fa, ba), (fb, bb) = m(x), m(y)
        assert torch.allclose(fa[0, :3], fb[0, :3]) and not torch.allclose(fa[0, 3:6], fb[0, 3:6])
        assert torch.allclose(ba[0, 4:6], bb[0, 4:6]) and not torch.allclose(ba[0, :4], bb[0, :4])
        S = m.layer_states(x)
        torch.testing.assert_close(m.embed(x), S.mean(0))
        w = torch.tensor([0.3, -1.0, 2.0])
        s = torch.exp(w) / torch.exp(w).sum()
        torch.testing.assert_close(m.embed(x, weights=w, gamma=2.5), 2.5 * (s[:, None, None, None] * S).sum(0))
    # the scalar mix is learnable: gradients reach the layer weights and gamma
    a = torch.zeros(3, requires_grad=True)
    g = torch.tensor(1.0, requires_grad=True)
    m.embed(x, weights=a, gamma=g).sum().backward()
    assert a.grad.abs().sum() > 0 and g.grad.abs() > 0
    with pytest.raises(TypeError, match="gamma"):
        m.embed(x, gamma="big")
    with torch.no_grad():
        # layer 0 is the static word embedding: the same word gets the same vector in every context
        assert torch.equal(S[0, 0, 1], m.layer_states(torch.tensor([[3, 5]]))[0, 0, 1])


def test_elmo_training_lowers_the_loss():
    torch.manual_seed(0)
    m = text.ELMo(20, hidden_size=8, pad_id=0)
    opt = torch.optim.Adam(m.parameters(), lr=0.05)
    first = m.lm_loss(ELMO_IDS).item()
    for _ in range(40):
        loss = m.lm_loss(ELMO_IDS)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert m.lm_loss(ELMO_IDS).item() < 0.3 * first


def test_elmo_input_errors():
    m = text.ELMo(20, hidden_size=4, pad_id=0)
    with pytest.raises(TypeError, match="torch.long"):
        m(torch.zeros(1, 3))
    with pytest.raises(TypeError, match="torch.long"):
        m(torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\[0, 20\)"):
        m(torch.tensor([[1, 25]]))
    with pytest.raises(ValueError, match="end of each sequence"):
        m(torch.tensor([[1, 0, 5]]))
    with pytest.raises(ValueError, match="at least one token"):
        m(torch.zeros(1, 0, dtype=torch.long))
    with pytest.raises(ValueError, match="weights must have shape"):
        m.embed(torch.tensor([[1, 5]]), weights=[0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="hidden_size"):
        text.ELMo(20, hidden_size=0)
    with pytest.raises(ValueError, match="pad_id"):
        text.ELMo(20, pad_id=20)
    with pytest.raises(TypeError, match="num_layers"):
        text.ELMo(20, num_layers=1.5)


def _sense_separation(vectors, groups):
    v = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    C = v @ v.T
    np.fill_diagonal(C, np.nan)
    g = groups
    return (np.nanmean(C[np.ix_(g, g)]) + np.nanmean(C[np.ix_(~g, ~g)])) / 2 - C[np.ix_(g, ~g)].mean()


@pytest.mark.parametrize("seed", [1, 2])
def test_elmo_training_separates_word_uses_on_other_seeds(seed):
    """The contextual-representation page's claim, on seeds other than the page's: after 150 training steps the
    LSTM layer separates the two uses of "old" and "with" more than twice as well as the untrained network."""
    import copy

    en = lib.data.text_corpus("en_templates")
    itos = ["<pad>", "<s>", "</s>"] + sorted({w for s in en for w in s})
    stoi = {w: i for i, w in enumerate(itos)}
    L = max(map(len, en)) + 2

    def encode(sentences):
        X = torch.zeros(len(sentences), L, dtype=torch.long)
        for i, s in enumerate(sentences):
            X[i, : len(s) + 2] = torch.tensor([1] + [stoi[w] for w in s] + [2])
        return X

    X = encode(en)
    torch.manual_seed(seed)
    m = text.ELMo(len(itos), hidden_size=32, pad_id=0)
    untrained = copy.deepcopy(m)
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(150):
        loss = m.lm_loss(X[torch.randint(0, len(X), (64,), generator=gen)])
        opt.zero_grad()
        loss.backward()
        opt.step()
    for word, before in (("old", "years"), ("with", "played")):
        S = [s for s in en if word in s]
        pos = torch.tensor([s.index(word) + 1 for s in S])
        g = np.array([s[s.index(word) - 1] == before for s in S])
        with torch.no_grad():
            sep = {
                name: _sense_separation(net.layer_states(encode(S))[k][torch.arange(len(S)), pos].numpy(), g)
                for name, net, k in (("static", m, 0), ("untrained", untrained, 1), ("trained", m, 1))
            }
        assert abs(sep["static"]) < 1e-6
        assert sep["trained"] > 2 * sep["untrained"] > 0, (word, sep)
