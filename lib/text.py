r"""文本表示：词袋与 TF-IDF、n-gram 语言模型、共现矩阵与 PPMI-SVD 词向量、word2vec（文本表示一章）。

=============================  ======================================================================
``CountVectorizer``            词袋计数，接口、默认值与输出（``scipy.sparse`` 的 CSR）同 scikit-learn
``TfidfVectorizer``            :math:`\mathrm{tf}\cdot\mathrm{idf}`，平滑 idf，行 L2 归一化
``NGramLM``                    n-gram 语言模型：加 k 平滑、插值 Kneser–Ney 平滑，困惑度，采样
``cooccurrence_matrix``        窗口内的对称共现计数
``ppmi``                       正点互信息 :math:`\max(\log\frac{P(w,c)}{P(w)P(c)},0)`（可选上下文分布平滑 α）
``svd_embeddings``             截断 SVD：:math:`U_kS_k^{p}` 的行作词向量
``skipgram_pairs``/``cbow_examples``  由窗口生成 (中心词, 上下文词) 训练样本
``huffman_tree``               按词频建 Huffman 树：每个词的路径（内部结点）与编码
``nce_loss``                   噪声对比估计的目标：:math:`G=\log p_m-\log(\nu p_n)` 上的逻辑回归
``Word2Vec``                   skip-gram / CBOW，全 softmax、层次 softmax、负采样、NCE 四种输出层（PyTorch）
``nearest_neighbors``/``analogy``  余弦近邻与 :math:`b-a+c` 类比
``mask_tokens``                BERT 的掩码：选 15% 的位置，其中 80% 换成 [MASK]、10% 换成随机词、10% 不变
``TransformerLM``              小型 Transformer 语言模型（``lib.attention``）：因果（GPT）或掩码（BERT）
``ELMo``                       小型 ELMo：前向与反向 LSTM 语言模型（``lib.rnn.LSTM``），各层表示的加权和
=============================  ======================================================================

向量化器与 scikit-learn 的 ``sklearn.feature_extraction.text`` 同名、同参数、同默认值、同输出
（``tests/test_text.py`` 在多组语料与参数组合上逐元素比较）；其余部分用暴力枚举与有限差分验证。
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp

from .base import BaseEstimator, TransformerMixin
from .utils import check_is_fitted, check_option, check_random_state, check_scalar

__all__ = [
    "CountVectorizer",
    "TfidfVectorizer",
    "NGramLM",
    "cooccurrence_matrix",
    "ppmi",
    "svd_embeddings",
    "skipgram_pairs",
    "cbow_examples",
    "HuffmanTree",
    "huffman_tree",
    "unigram_noise",
    "nce_loss",
    "Word2Vec",  # noqa: F822 (lazy: lib/_text_torch.py, see __getattr__)
    "train_word2vec",  # noqa: F822
    "nearest_neighbors",
    "analogy",
    "segment",
    "mask_tokens",
    "TransformerLM",  # noqa: F822 (lazy: lib/_text_torch.py)
    "ELMo",  # noqa: F822 (lazy: lib/_text_torch.py)
]

_WHITESPACE = re.compile(r"\s\s+")


def segment(text: str) -> list[str]:
    """用 jieba（默认词典，关闭 HMM）把中文文本切成词；去掉空白。不打印 jieba 的加载信息。"""
    import logging

    import jieba

    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    jieba.setLogLevel(logging.WARNING)
    return [w for w in jieba.lcut(text, HMM=False) if w.strip()]


# ---------------------------------------------------------------------------------------------
# 词袋与 TF-IDF
# ---------------------------------------------------------------------------------------------
def _check_documents(raw_documents, name: str = "raw_documents") -> list[str]:
    if isinstance(raw_documents, str | bytes):
        raise ValueError(f"{name}: iterable over raw text documents expected, string object received")
    if not isinstance(raw_documents, Iterable):
        raise TypeError(f"{name} must be an iterable of str, got {type(raw_documents).__name__}")
    docs = list(raw_documents)
    for i, d in enumerate(docs):
        if not isinstance(d, str):
            raise TypeError(f"{name}[{i}] must be a str, got {type(d).__name__} ({d!r:.40})")
    return docs


class CountVectorizer(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    r"""把文档集合变成词频矩阵（词袋）：第 :math:`i` 行第 :math:`j` 列是词项 :math:`j` 在文档 :math:`i` 中出现的次数。

    参数与 ``sklearn.feature_extraction.text.CountVectorizer`` 相同（没有 ``input``/``encoding``/``strip_accents``：
    这里只接受 ``str``）：先 ``lowercase``，再按 ``token_pattern``（或 ``tokenizer``）切词，去掉 ``stop_words``，
    生成 ``ngram_range`` 内的全部 n-gram（以空格连接）；``analyzer="char"`` 时取字符 n-gram。
    词表按字典序编号（``vocabulary_``），``min_df``/``max_df``（整数是文档数，小数是比例）与 ``max_features`` 剪枝。
    ``transform`` 时词表外的词项被忽略。返回 ``scipy.sparse.csr_matrix``。
    """

    def __init__(
        self,
        *,
        lowercase=True,
        preprocessor=None,
        tokenizer=None,
        stop_words=None,
        token_pattern=r"(?u)\b\w\w+\b",
        ngram_range=(1, 1),
        analyzer="word",
        max_df=1.0,
        min_df=1,
        max_features=None,
        vocabulary=None,
        binary=False,
        dtype=np.int64,
    ):
        self.lowercase = lowercase
        self.preprocessor = preprocessor
        self.tokenizer = tokenizer
        self.stop_words = stop_words
        self.token_pattern = token_pattern
        self.ngram_range = ngram_range
        self.analyzer = analyzer
        self.max_df = max_df
        self.min_df = min_df
        self.max_features = max_features
        self.vocabulary = vocabulary
        self.binary = binary
        self.dtype = dtype

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return tags

    # --- 分析器：预处理 -> 切词 -> 停用词 -> n-gram ----------------------------------------
    def _check_params(self):
        # 与 scikit-learn 的 _parameter_constraints 相同的约束，报错时点名参数
        for name in ("lowercase", "binary"):
            check_scalar(getattr(self, name), name, bool)
        for name in ("preprocessor", "tokenizer"):
            if getattr(self, name) is not None and not callable(getattr(self, name)):
                raise TypeError(f"{name} must be None or a callable, got {type(getattr(self, name)).__name__}")
        if self.token_pattern is not None and not isinstance(self.token_pattern, str):
            raise TypeError(f"token_pattern must be None or a str, got {type(self.token_pattern).__name__}")
        if (
            self.token_pattern is None
            and self.tokenizer is None
            and isinstance(self.analyzer, str)
            and self.analyzer == "word"
        ):
            raise ValueError("token_pattern=None needs a tokenizer (analyzer='word' has nothing to split on)")
        try:
            np.dtype(self.dtype)
        except TypeError as e:
            raise TypeError(f"dtype must be a NumPy dtype, got {self.dtype!r}") from e
        if self.dtype is None or not np.issubdtype(np.dtype(self.dtype), np.number):
            raise TypeError(f"dtype must be a numeric NumPy dtype, got {self.dtype!r}")
        nr = self.ngram_range
        if (
            not isinstance(nr, tuple | list)
            or len(nr) != 2
            or not all(isinstance(v, Integral) and not isinstance(v, bool) for v in nr)
            or not 1 <= nr[0] <= nr[1]
        ):
            raise ValueError(f"ngram_range must be a pair (min_n, max_n) with 1 <= min_n <= max_n, got {nr!r}")
        if not ((isinstance(self.analyzer, str) and self.analyzer in ("word", "char")) or callable(self.analyzer)):
            raise ValueError(f"analyzer must be 'word', 'char' or a callable, got {self.analyzer!r}")
        if self.stop_words is not None and (
            isinstance(self.stop_words, str)
            or not isinstance(self.stop_words, Iterable)
            or not all(isinstance(w, str) for w in self.stop_words)
        ):
            raise ValueError(f"stop_words must be None or a list of words (str), got {self.stop_words!r:.60}")
        for name in ("max_df", "min_df"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, Real):
                raise TypeError(f"{name} must be an int or a float, got {type(v).__name__}")
            if isinstance(v, Integral):
                check_scalar(v, name, Integral, min_val=1)  # 整数是文档数（scikit-learn：>= 1）
            else:
                check_scalar(v, name, Real, min_val=0.0, max_val=1.0)
        if self.max_features is not None:
            check_scalar(self.max_features, "max_features", Integral, min_val=1)
        if self.token_pattern is not None and self.tokenizer is None:
            try:
                groups = re.compile(self.token_pattern).groups
            except re.error as e:
                raise ValueError(f"token_pattern is not a valid regular expression: {e}") from e
            if groups > 1:
                raise ValueError("token_pattern must have at most one capturing group")
        v = self.vocabulary
        if v is not None and (isinstance(v, str) or not isinstance(v, Mapping | Iterable)):
            raise TypeError(f"vocabulary must be None, a mapping or an iterable of terms, got {type(v).__name__}")

    def build_preprocessor(self):
        if self.preprocessor is not None:
            return self.preprocessor
        return str.lower if self.lowercase else (lambda s: s)

    def build_tokenizer(self):
        if self.tokenizer is not None:
            return self.tokenizer
        return re.compile(self.token_pattern).findall

    def _word_ngrams(self, tokens: list[str]) -> list[str]:
        if self.stop_words is not None:
            stop = set(self.stop_words)
            tokens = [w for w in tokens if w not in stop]
        min_n, max_n = self.ngram_range
        if max_n == 1:
            return tokens
        out = list(tokens) if min_n == 1 else []
        for n in range(max(min_n, 2), min(max_n, len(tokens)) + 1):
            out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return out

    def _char_ngrams(self, text: str) -> list[str]:
        text = _WHITESPACE.sub(" ", text)
        min_n, max_n = self.ngram_range
        out = []
        for n in range(min_n, min(max_n, len(text)) + 1):
            out.extend(text[i : i + n] for i in range(len(text) - n + 1))
        return out

    def build_analyzer(self):
        """返回把一篇文档变成词项列表的函数（与 scikit-learn 的 ``build_analyzer`` 相同）。"""
        if callable(self.analyzer):
            return self.analyzer
        pre = self.build_preprocessor()
        if self.analyzer == "char":
            return lambda doc: self._char_ngrams(pre(doc))
        tok = self.build_tokenizer()
        return lambda doc: self._word_ngrams(list(tok(pre(doc))))

    # --- 计数 ---------------------------------------------------------------------------------
    def _count(self, docs: list[str], vocab: dict[str, int], grow: bool):
        analyze = self.build_analyzer()
        indptr, indices, values = [0], [], []
        for doc in docs:
            counts = Counter()
            for term in analyze(doc):
                j = vocab.get(term)
                if j is None and grow:
                    j = vocab[term] = len(vocab)
                if j is not None:
                    counts[j] += 1
            cols = sorted(counts)
            indices.extend(cols)
            values.extend(counts[c] for c in cols)
            indptr.append(len(indices))
        X = sp.csr_matrix(
            (np.asarray(values, dtype=self.dtype), np.asarray(indices, dtype=np.int32), np.asarray(indptr)),
            shape=(len(docs), len(vocab)),
        )
        if self.binary:
            X.data.fill(1)
        return X

    def _fixed_vocabulary(self) -> dict[str, int] | None:
        if self.vocabulary is None:
            return None
        if isinstance(self.vocabulary, Mapping):
            vocab = dict(self.vocabulary)
            if not all(isinstance(k, str) for k in vocab):
                raise TypeError("vocabulary: the terms (keys of the mapping) must be str")
            if not all(isinstance(i, Integral) for i in vocab.values()):
                raise TypeError("vocabulary: the indices of a mapping must be integers")
            if sorted(vocab.values()) != list(range(len(vocab))):
                raise ValueError("vocabulary: the indices of a mapping must be 0, 1, ..., len(vocabulary) - 1")
        else:
            terms = list(self.vocabulary)
            if not all(isinstance(term, str) for term in terms):
                raise TypeError("vocabulary must contain only str terms")
            if len(set(terms)) != len(terms):
                raise ValueError("vocabulary contains repeated terms")
            vocab = {t: i for i, t in enumerate(terms)}
        if not vocab:
            raise ValueError("empty vocabulary passed to fit")
        return vocab

    def fit(self, raw_documents, y=None):
        self.fit_transform(raw_documents)
        return self

    def fit_transform(self, raw_documents, y=None):
        docs = _check_documents(raw_documents)
        self._check_params()
        fixed = self._fixed_vocabulary()
        if fixed is not None:
            self.vocabulary_ = fixed
            return self._count(docs, dict(fixed), grow=False)
        vocab: dict[str, int] = {}
        X = self._count(docs, vocab, grow=True)
        if not vocab:
            raise ValueError(
                "raw_documents: empty vocabulary; perhaps the documents only contain stop words, "
                "or token_pattern / tokenizer / analyzer match nothing in them"
            )
        # 按字典序重新编号
        terms = sorted(vocab)
        order = np.array([vocab[t] for t in terms])
        X = X[:, order]
        X = self._prune(X, terms, len(docs))
        return X

    def _prune(self, X, terms: list[str], n_docs: int):
        max_doc = self.max_df if isinstance(self.max_df, Integral) else self.max_df * n_docs
        min_doc = self.min_df if isinstance(self.min_df, Integral) else self.min_df * n_docs
        if max_doc < min_doc:
            raise ValueError("max_df corresponds to < documents than min_df")
        df = np.bincount(X.indices, minlength=X.shape[1])
        keep = (df <= max_doc) & (df >= min_doc)
        if self.max_features is not None and keep.sum() > self.max_features:
            tf = np.asarray(X.sum(axis=0)).ravel()
            kept = np.flatnonzero(keep)
            top = kept[np.argsort(-tf[kept], kind="stable")[: self.max_features]]
            keep = np.zeros_like(keep)
            keep[top] = True
        if not keep.any():
            raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
        cols = np.flatnonzero(keep)
        self.vocabulary_ = {terms[j]: i for i, j in enumerate(cols)}
        X = X[:, cols].tocsr()
        X.sort_indices()
        return X

    def transform(self, raw_documents):
        check_is_fitted(self, "vocabulary_")
        docs = _check_documents(raw_documents)
        return self._count(docs, dict(self.vocabulary_), grow=False)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "vocabulary_")
        terms = sorted(self.vocabulary_, key=self.vocabulary_.get)
        return np.asarray(terms, dtype=object)


class TfidfVectorizer(CountVectorizer, auto_wrap_output_keys=None):
    r"""词频乘逆文档频率，再按行归一化（同 ``sklearn.feature_extraction.text.TfidfVectorizer``）。

    :math:`\mathrm{tf}(t,d)` 是计数（``sublinear_tf=True`` 时换成 :math:`1+\ln\mathrm{tf}`）；
    :math:`\mathrm{idf}(t)=\ln\frac{1+N}{1+\mathrm{df}(t)}+1`
    （``smooth_idf=False`` 时 :math:`\ln\frac{N}{\mathrm{df}(t)}+1`）；
    ``norm="l2"``/``"l1"``/``None`` 按行归一化。拟合出的 ``idf_`` 与 scikit-learn 的相同。
    """

    def __init__(
        self,
        *,
        lowercase=True,
        preprocessor=None,
        tokenizer=None,
        stop_words=None,
        token_pattern=r"(?u)\b\w\w+\b",
        ngram_range=(1, 1),
        analyzer="word",
        max_df=1.0,
        min_df=1,
        max_features=None,
        vocabulary=None,
        binary=False,
        dtype=np.float64,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=False,
    ):
        super().__init__(
            lowercase=lowercase,
            preprocessor=preprocessor,
            tokenizer=tokenizer,
            stop_words=stop_words,
            token_pattern=token_pattern,
            ngram_range=ngram_range,
            analyzer=analyzer,
            max_df=max_df,
            min_df=min_df,
            max_features=max_features,
            vocabulary=vocabulary,
            binary=binary,
            dtype=dtype,
        )
        self.norm = norm
        self.use_idf = use_idf
        self.smooth_idf = smooth_idf
        self.sublinear_tf = sublinear_tf

    def _check_tfidf_params(self):
        for name in ("use_idf", "smooth_idf", "sublinear_tf"):
            check_scalar(getattr(self, name), name, bool)
        if self.norm is not None and not (isinstance(self.norm, str) and self.norm in ("l1", "l2")):
            raise ValueError(f"norm must be 'l1', 'l2' or None, got {self.norm!r}")
        if not any(
            self.dtype is d or (isinstance(self.dtype, np.dtype) and self.dtype == d) for d in (np.float64, np.float32)
        ):
            raise ValueError(f"dtype must be np.float64 or np.float32, got {self.dtype!r}")

    def _tfidf(self, counts):
        X = counts.astype(np.float64)
        if self.sublinear_tf:
            X.data = np.log(X.data) + 1.0
        if self.use_idf:
            X = X @ sp.diags(self.idf_)
            X = sp.csr_matrix(X)
        if self.norm is not None:
            X.sort_indices()
            if self.norm == "l2":
                rn = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
            else:
                rn = np.asarray(abs(X).sum(axis=1)).ravel()
            rn[rn == 0.0] = 1.0
            X = sp.csr_matrix(sp.diags(1.0 / rn) @ X)
        X.sort_indices()
        return X.astype(self.dtype)

    def fit_transform(self, raw_documents, y=None):
        self._check_tfidf_params()
        counts = super().fit_transform(raw_documents)
        if self.use_idf:
            n = counts.shape[0] + int(self.smooth_idf)
            df = np.bincount(counts.indices, minlength=counts.shape[1]) + int(self.smooth_idf)
            self.idf_ = np.log(n / df) + 1.0
        return self._tfidf(counts)

    def fit(self, raw_documents, y=None):
        self.fit_transform(raw_documents)
        return self

    def transform(self, raw_documents):
        return self._tfidf(super().transform(raw_documents))


# ---------------------------------------------------------------------------------------------
# n-gram 语言模型
# ---------------------------------------------------------------------------------------------
def _check_sentences(sentences, name: str = "sentences") -> list[list[str]]:
    if isinstance(sentences, str) or not isinstance(sentences, Iterable):
        raise TypeError(f"{name} must be a list of token lists, got {type(sentences).__name__}")
    out = []
    for i, s in enumerate(sentences):
        if isinstance(s, str) or not isinstance(s, Iterable):
            raise TypeError(f"{name}[{i}] must be a list of str tokens, got {type(s).__name__}")
        s = list(s)
        if not all(isinstance(t, str) for t in s):
            raise TypeError(f"{name}[{i}] must contain only str tokens")
        out.append(s)
    if not out or not any(out):
        raise ValueError(f"{name} must contain at least one non-empty sentence")
    return out


class NGramLM:
    r"""n-gram 语言模型 :math:`P(w_i\mid w_{i-n+1}^{i-1})`。

    句子前补 ``n-1`` 个 ``<s>``、句末加 ``</s>``；训练中出现少于 ``min_count`` 次的词与测试时的新词都记为 ``<unk>``。
    词表 ``vocab_`` = 训练词 + ``</s>`` + ``<unk>``（``<s>`` 只作上下文，不被预测），每个条件分布在词表上和为 1。

    * ``smoothing="add_k"``：:math:`P(w\mid h)=\frac{c(h,w)+k}{c(h)+k|V|}`（``k=0`` 是最大似然估计，
      没见过的上下文下分布全为 0，困惑度为无穷）；
    * ``smoothing="kneser_ney"``：插值 Kneser–Ney，最高阶用计数、低阶用接续计数
      :math:`N_{1+}(\bullet\,h\,w)`，每阶减去折扣 ``discount``，
      省下的质量按 :math:`D\,N_{1+}(h\,\bullet)/c(h)` 分给低一阶；
      一元分布再与均匀分布插值，于是任何词的概率都为正。
    """

    BOS, EOS, UNK = "<s>", "</s>", "<unk>"

    def __init__(
        self, n: int = 2, smoothing: str = "kneser_ney", *, k: float = 1.0, discount: float = 0.75, min_count: int = 1
    ):
        self.n = n
        self.smoothing = smoothing
        self.k = k
        self.discount = discount
        self.min_count = min_count
        self._check_params()  # 不是 scikit-learn 的估计器（不被 clone）：构造时就检查，fit 时再查一次

    def _check_params(self):
        check_scalar(self.n, "n", Integral, min_val=1, max_val=32)
        check_option(self.smoothing, "smoothing", ("add_k", "kneser_ney"))
        check_scalar(self.k, "k", Real, min_val=0.0)
        check_scalar(self.discount, "discount", Real, min_val=0.0, max_val=1.0, include_min=False)
        check_scalar(self.min_count, "min_count", Integral, min_val=1)

    def _encode(self, sentence: list[str]) -> list[int]:
        unk = self.index_[self.UNK]
        bos = len(self.vocab_)
        return [bos] * (self.n - 1) + [self.index_.get(t, unk) for t in sentence] + [self.index_[self.EOS]]

    def fit(self, sentences):
        self._check_params()
        sentences = _check_sentences(sentences)
        freq = Counter(t for s in sentences for t in s)
        reserved = {self.BOS, self.EOS, self.UNK} & set(freq)
        if reserved:
            raise ValueError(f"sentences must not contain the reserved tokens {sorted(reserved)}")
        words = sorted(w for w, c in freq.items() if c >= self.min_count)
        self.vocab_ = words + [self.EOS, self.UNK]
        self.index_ = {w: i for i, w in enumerate(self.vocab_)}
        n, V = self.n, len(self.vocab_)
        # counts[m][h][w]: 第 m 阶（上下文长 m-1）的计数；KN 的低阶换成接续计数
        grams = [Counter() for _ in range(n + 1)]
        for s in sentences:
            ids = self._encode(s)
            for m in range(1, n + 1):
                # m 元组 ids[i-m+1 .. i]，i 取每个被预测的位置（i >= n-1）
                grams[m].update(zip(*(ids[n - m + k :] for k in range(m))))
        raw = [defaultdict(Counter) for _ in range(n + 1)]
        for m in range(1, n + 1):
            for g, c in grams[m].items():
                raw[m][g[:-1]][g[-1]] = c
        counts = raw
        if self.smoothing == "kneser_ney" and n > 1:
            counts = [None] * (n + 1)
            counts[n] = raw[n]
            for m in range(n - 1, 0, -1):
                cont = defaultdict(Counter)
                for h, row in raw[m + 1].items():
                    for w in row:
                        cont[h[1:]][w] += 1  # 不同的左邻 h[0] 各算一次
                counts[m] = cont
        # 每个上下文：总数 c(h) 与不同后继数 N1+(h .)
        self.counts_ = [None] + [dict(c) for c in counts[1:]]
        self.totals_ = [None] + [{h: (sum(r.values()), len(r)) for h, r in c.items()} for c in counts[1:]]
        self.n_vocab_ = V
        return self

    def _context(self, context) -> tuple[int, ...]:
        """把上下文（词列表，可以比 n-1 短：前面补 <s>）编码成最后 n-1 个 id。"""
        unk = self.index_[self.UNK]
        bos = len(self.vocab_)
        ids = [bos] * (self.n - 1) + [self.index_.get(t, unk) for t in context]
        return tuple(ids[len(ids) - (self.n - 1) :]) if self.n > 1 else ()

    def _prob_id(self, w: int, h: tuple[int, ...]) -> float:
        V = self.n_vocab_
        if self.smoothing == "add_k":
            total, _ = self.totals_[self.n].get(h, (0, 0))
            c = self.counts_[self.n].get(h, {}).get(w, 0)
            denom = total + self.k * V
            return (c + self.k) / denom if denom > 0 else 0.0
        D = self.discount
        p = 1.0 / V  # 第 0 阶：均匀分布
        for m in range(1, self.n + 1):
            hm = h[len(h) - (m - 1) :] if m > 1 else ()
            total, distinct = self.totals_[m].get(hm, (0, 0))
            if total == 0:
                continue  # 没见过的上下文：完全交给低一阶
            c = self.counts_[m][hm].get(w, 0)
            p = max(c - D, 0.0) / total + D * distinct / total * p
        return p

    def prob(self, word: str, context=()) -> float:
        """:math:`P(\\text{word}\\mid\\text{context})`；``context`` 是前面的词（不足 n-1 个时前面补 ``<s>``）。"""
        check_is_fitted(self, "vocab_")
        if not isinstance(word, str):
            raise TypeError(f"word must be a str, got {type(word).__name__}")
        w = self.index_.get(word, self.index_[self.UNK])
        return self._prob_id(w, self._context(list(context)))

    def distribution(self, context=()) -> np.ndarray:
        """给定上下文时下一个词在 ``vocab_`` 上的分布（长 ``len(vocab_)``，和为 1）。"""
        check_is_fitted(self, "vocab_")
        h = self._context(list(context))
        V = self.n_vocab_
        if self.smoothing == "add_k":
            p = np.full(V, self.k, dtype=float)
            for w, c in self.counts_[self.n].get(h, {}).items():
                p[w] += c
            s = p.sum()
            return p / s if s > 0 else p
        D = self.discount
        p = np.full(V, 1.0 / V)
        for m in range(1, self.n + 1):
            hm = h[len(h) - (m - 1) :] if m > 1 else ()
            total, distinct = self.totals_[m].get(hm, (0, 0))
            if total == 0:
                continue
            new = D * distinct / total * p
            for w, c in self.counts_[m][hm].items():
                new[w] += max(c - D, 0.0) / total
            p = new
        return p

    def log_likelihood(self, sentences) -> tuple[float, int]:
        """全部句子的 :math:`\\sum\\ln P`（含每句的 ``</s>``）与被预测的词数。"""
        check_is_fitted(self, "vocab_")
        sentences = _check_sentences(sentences)
        total, count = 0.0, 0
        for s in sentences:
            ids = self._encode(s)
            for i in range(self.n - 1, len(ids)):
                p = self._prob_id(ids[i], tuple(ids[i - self.n + 1 : i]))
                total += math.log(p) if p > 0 else -math.inf
                count += 1
        return total, count

    def perplexity(self, sentences) -> float:
        r"""困惑度 :math:`\exp\bigl(-\frac1N\sum_i\ln P(w_i\mid h_i)\bigr)`。"""
        ll, count = self.log_likelihood(sentences)
        return math.exp(-ll / count)

    def generate(self, rng=None, max_len: int = 30, context=()) -> list[str]:
        """从模型逐词采样，直到 ``</s>`` 或 ``max_len`` 个词。"""
        check_is_fitted(self, "vocab_")
        check_scalar(max_len, "max_len", Integral, min_val=1)
        rng = check_random_state(rng)
        out = list(context)
        for _ in range(max_len):
            p = self.distribution(out)
            w = self.vocab_[int(rng.choice(len(p), p=p / p.sum()))]
            if w == self.EOS:
                break
            out.append(w)
        return out[len(context) :]


# ---------------------------------------------------------------------------------------------
# 共现矩阵、PPMI 与截断 SVD
# ---------------------------------------------------------------------------------------------
def _build_vocab(sentences, vocabulary, min_count):
    if vocabulary is None:
        freq = Counter(t for s in sentences for t in s)
        vocabulary = sorted(w for w, c in freq.items() if c >= min_count)
    vocabulary = list(vocabulary)
    if not vocabulary:
        raise ValueError("empty vocabulary: no word occurs min_count times")
    return vocabulary, {w: i for i, w in enumerate(vocabulary)}


def _encode_corpus(sentences, index) -> list[np.ndarray]:
    return [np.array([index[t] for t in s if t in index], dtype=np.int64) for s in sentences]


def cooccurrence_matrix(sentences, *, window: int = 2, vocabulary=None, min_count: int = 1):
    r"""对称的窗口共现计数：:math:`C_{wc}` = 句内距离 :math:`1\le|i-j|\le` ``window`` 的 (w, c) 对数。

    词表外（出现少于 ``min_count`` 次或不在 ``vocabulary`` 中）的词先删掉再开窗。返回 ``(C, vocabulary)``，
    ``C`` 是 ``scipy.sparse.csr_matrix``（float64，对称）。
    """
    sentences = _check_sentences(sentences)
    check_scalar(window, "window", Integral, min_val=1)
    check_scalar(min_count, "min_count", Integral, min_val=1)
    vocabulary, index = _build_vocab(sentences, vocabulary, min_count)
    encoded = _encode_corpus(sentences, index)
    ids = np.concatenate(encoded) if encoded else np.zeros(0, np.int64)
    sent = np.repeat(np.arange(len(encoded)), [len(e) for e in encoded])
    rows, cols = [], []
    for d in range(1, window + 1):
        same = sent[:-d] == sent[d:]  # 只在同一句之内配对
        a, b = ids[:-d][same], ids[d:][same]
        rows += [a, b]
        cols += [b, a]
    V = len(vocabulary)
    r, c = np.concatenate(rows), np.concatenate(cols)
    C = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(V, V))
    C.sum_duplicates()
    return C, vocabulary


def ppmi(C, *, alpha: float = 1.0):
    r"""正点互信息 :math:`\mathrm{PPMI}_{wc}=\max\bigl(\ln\frac{P(w,c)}{P(w)P_\alpha(c)},0\bigr)`。

    :math:`P(w,c)=C_{wc}/\sum C`，:math:`P(w)` 为行和比例，:math:`P_\alpha(c)\propto(\sum_wC_{wc})^\alpha`
    （``alpha=0.75`` 即上下文分布平滑）。只在 :math:`C_{wc}>0` 处计算，返回 CSR。
    """
    C = sp.csr_matrix(C, dtype=np.float64)
    if C.nnz and (C.data < 0).any():
        raise ValueError("C must contain non-negative counts")
    check_scalar(alpha, "alpha", Real, min_val=0.0, include_min=False)
    total = C.sum()
    if total <= 0:
        raise ValueError("C must contain at least one positive count")
    pw = np.asarray(C.sum(axis=1)).ravel() / total
    cc = np.asarray(C.sum(axis=0)).ravel() ** alpha
    pc = cc / cc.sum()
    C = C.tocoo()
    pmi = np.log(C.data / total) - np.log(pw[C.row]) - np.log(pc[C.col])
    keep = pmi > 0
    M = sp.csr_matrix((pmi[keep], (C.row[keep], C.col[keep])), shape=C.shape)
    M.sort_indices()
    return M


def svd_embeddings(M, k: int, *, power: float = 0.5, rng=0):
    r"""截断 SVD :math:`M\approx U_kS_kV_k^\top`，返回词向量 :math:`U_kS_k^{p}`（``power`` = p）与奇异值 :math:`S_k`。

    稀疏矩阵用 ARPACK（``scipy.sparse.linalg.svds``，起始向量由 ``rng`` 固定），稠密矩阵用完整 SVD；
    奇异值从大到小排列，奇异向量的正负号用 ``lib.decomposition.svd_flip`` 固定。
    """
    from scipy.sparse.linalg import svds

    from .decomposition import svd_flip

    check_scalar(k, "k", Integral, min_val=1)
    check_scalar(power, "power", Real)
    if not (sp.issparse(M) or isinstance(M, np.ndarray)):
        M = np.asarray(M, dtype=float)
    if M.ndim != 2 or k >= min(M.shape):
        raise ValueError(f"k must be < min(M.shape) = {min(M.shape)}, got k={k}")
    if sp.issparse(M):
        v0 = check_random_state(rng).uniform(-1, 1, min(M.shape))
        U, S, Vt = svds(sp.csr_matrix(M, dtype=np.float64), k=k, v0=v0)
        order = np.argsort(-S)
        U, S, Vt = U[:, order], S[order], Vt[order]
    else:
        U, S, Vt = np.linalg.svd(np.asarray(M, dtype=np.float64), full_matrices=False)
        U, S, Vt = U[:, :k], S[:k], Vt[:k]
    U, Vt = svd_flip(U, Vt)
    return U * S**power, S


def nearest_neighbors(E, vocabulary, word: str, k: int = 5, *, exclude=()) -> list[tuple[str, float]]:
    """余弦相似度最高的 ``k`` 个词（不含 ``word`` 本身与 ``exclude``），返回 ``[(词, 余弦)]``。"""
    return _ranked(E, list(vocabulary), _row(E, vocabulary, word), k, exclude=set(exclude) | {word})


def analogy(E, vocabulary, a: str, b: str, c: str, k: int = 1) -> list[tuple[str, float]]:
    r"""类比 a : b = c : ?，取与 :math:`\hat e_b-\hat e_a+\hat e_c` 余弦最大的词。

    三个输入词除外；:math:`\hat e` 是单位化的词向量。
    """
    unit = lambda w: _row(E, vocabulary, w) / max(np.linalg.norm(_row(E, vocabulary, w)), 1e-12)  # noqa: E731
    return _ranked(E, list(vocabulary), unit(b) - unit(a) + unit(c), k, exclude={a, b, c})


def _row(E, vocabulary, word):
    vocab = list(vocabulary)
    if len(vocab) != len(E):
        raise ValueError(f"E has {len(E)} rows but the vocabulary has {len(vocab)} words")
    try:
        return np.asarray(E[vocab.index(word)], dtype=float)
    except ValueError:
        raise KeyError(f"{word!r} is not in the vocabulary") from None


def _ranked(E, vocab, q, k, exclude):
    check_scalar(k, "k", Integral, min_val=1)
    E = np.asarray(E, dtype=float)
    sims = E @ q / np.maximum(np.linalg.norm(E, axis=1) * np.linalg.norm(q), 1e-12)
    out = []
    for j in np.argsort(-sims, kind="stable"):
        if vocab[j] not in exclude:
            out.append((vocab[j], float(sims[j])))
            if len(out) == k:
                break
    return out


# ---------------------------------------------------------------------------------------------
# 掩码语言模型的输入
# ---------------------------------------------------------------------------------------------
def mask_tokens(
    ids,
    *,
    mask_id: int,
    vocab_size: int,
    rng=None,
    p: float = 0.15,
    p_mask: float = 0.8,
    p_random: float = 0.1,
    special=(),
):
    """BERT 的掩码：以概率 ``p`` 选中每个位置（``special`` 中的 id 与负数填充不选），选中的位置以 ``p_mask`` 换成
    ``mask_id``、以 ``p_random`` 换成均匀随机的词、其余保持不变。

    返回 ``(inputs, labels)``：``labels`` 在选中的位置是原词 id，其余为 -100（``torch.nn.functional.cross_entropy``
    的 ``ignore_index``），只有选中的位置参与损失。
    """
    ids = np.asarray(ids)
    if ids.size and not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"ids must be integer token ids, got dtype {ids.dtype}")
    check_scalar(vocab_size, "vocab_size", Integral, min_val=1)
    check_scalar(mask_id, "mask_id", Integral, min_val=0)
    for name, v in (("p", p), ("p_mask", p_mask), ("p_random", p_random)):
        check_scalar(v, name, Real, min_val=0.0, max_val=1.0)
    if p_mask + p_random > 1:
        raise ValueError(f"p_mask + p_random must be <= 1, got {p_mask + p_random}")
    rng = check_random_state(rng)
    eligible = (ids >= 0) & ~np.isin(ids, list(special))
    chosen = eligible & (rng.random(ids.shape) < p)
    u = rng.random(ids.shape)
    inputs = ids.copy()
    inputs[chosen & (u < p_mask)] = mask_id
    rand = chosen & (u >= p_mask) & (u < p_mask + p_random)
    inputs[rand] = rng.integers(0, vocab_size, size=int(rand.sum()))
    labels = np.where(chosen, ids, -100)
    return inputs, labels


# ---------------------------------------------------------------------------------------------
# word2vec
# ---------------------------------------------------------------------------------------------
def _check_id_sentences(sentences) -> list[np.ndarray]:
    out = []
    for i, s in enumerate(sentences):
        a = np.asarray(s)
        if a.ndim != 1 or (a.size and not np.issubdtype(a.dtype, np.integer)):
            raise TypeError(f"sentences[{i}] must be a 1-D sequence of integer word ids")
        out.append(a.astype(np.int64))
    return out


def skipgram_pairs(sentences, window: int) -> tuple[np.ndarray, np.ndarray]:
    """skip-gram 的训练对：每个位置 t 的中心词与 :math:`0<|j|\\le` ``window`` 的每个上下文词 :math:`w_{t+j}`。

    按 t、再按 j 排列。
    """
    check_scalar(window, "window", Integral, min_val=1)
    centers, contexts = [], []
    for ids in _check_id_sentences(sentences):
        for t in range(len(ids)):
            for j in range(max(0, t - window), min(len(ids), t + window + 1)):
                if j != t:
                    centers.append(ids[t])
                    contexts.append(ids[j])
    return np.asarray(centers, dtype=np.int64), np.asarray(contexts, dtype=np.int64)


def cbow_examples(sentences, window: int) -> tuple[np.ndarray, np.ndarray]:
    """CBOW 的训练样本：``(contexts, centers)``，``contexts`` 形状 ``(N, 2*window)``，不足处填 -1。"""
    check_scalar(window, "window", Integral, min_val=1)
    rows, centers = [], []
    for ids in _check_id_sentences(sentences):
        for t in range(len(ids)):
            ctx = [ids[j] for j in range(max(0, t - window), min(len(ids), t + window + 1)) if j != t]
            if ctx:
                rows.append(ctx + [-1] * (2 * window - len(ctx)))
                centers.append(ids[t])
    return np.asarray(rows, dtype=np.int64).reshape(-1, 2 * window), np.asarray(centers, dtype=np.int64)


@dataclass(frozen=True)
class HuffmanTree:
    """Huffman 树：``paths[w]`` 是词 w 从根到叶经过的内部结点（0..V-2），``codes[w]`` 是每步的走向（0 左 1 右）。"""

    paths: tuple[tuple[int, ...], ...]
    codes: tuple[tuple[int, ...], ...]

    @property
    def n_inner(self) -> int:
        return len(self.paths) - 1

    def padded(self):
        """``(paths, codes, mask)``，形状 ``(V, 最大深度)`` 的整数/整数/布尔数组（按最长路径补齐）。"""
        depth = max(len(p) for p in self.paths)
        V = len(self.paths)
        P, C, M = np.zeros((V, depth), np.int64), np.zeros((V, depth), np.int64), np.zeros((V, depth), bool)
        for w, (p, c) in enumerate(zip(self.paths, self.codes)):
            P[w, : len(p)], C[w, : len(c)], M[w, : len(p)] = p, c, True
        return P, C, M


def huffman_tree(counts) -> HuffmanTree:
    """按词频建 Huffman 树：每次合并频数最小的两个结点（同频时先合并编号小的，结果确定），高频词路径短。"""
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 1 or counts.size < 2:
        raise ValueError(f"counts must be a 1-D array of at least 2 word counts, got shape {counts.shape}")
    if not np.all(np.isfinite(counts)) or (counts < 0).any():
        raise ValueError("counts must be finite and non-negative")
    V = counts.size
    heap = [(c, i) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    parent, side = {}, {}
    nxt = V
    while len(heap) > 1:
        c0, a = heapq.heappop(heap)
        c1, b = heapq.heappop(heap)
        parent[a], side[a] = nxt, 0
        parent[b], side[b] = nxt, 1
        heapq.heappush(heap, (c0 + c1, nxt))
        nxt += 1
    root = nxt - 1
    paths, codes = [], []
    for w in range(V):
        p, c, node = [], [], w
        while node != root:
            p.append(parent[node] - V)
            c.append(side[node])
            node = parent[node]
        # 内部结点编号翻转，让根是 0
        paths.append(tuple(V - 2 - x for x in reversed(p)))
        codes.append(tuple(reversed(c)))
    return HuffmanTree(tuple(paths), tuple(codes))


def unigram_noise(counts, power: float = 0.75) -> np.ndarray:
    r"""负采样的噪声分布 :math:`q(w)\propto c(w)^{\text{power}}`。"""
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 1 or counts.size == 0 or (counts < 0).any() or counts.sum() <= 0:
        raise ValueError("counts must be a non-empty 1-D array of non-negative counts with a positive sum")
    check_scalar(power, "power", Real, min_val=0.0)
    q = counts**power
    return q / q.sum()


def nce_loss(log_model_data, log_noise_data, log_model_noise, log_noise_noise, nu: float):
    r"""噪声对比估计的损失（取负、按数据点平均）。

    数据 :math:`x` 与 :math:`\nu` 倍的噪声 :math:`y\sim p_n` 做二分类，后验 :math:`h=\sigma(G)`，
    :math:`G(u)=\ln p_m(u)-\ln p_n(u)-\ln\nu`。返回
    :math:`-\overline{\ln\sigma(G(x))}-\nu\,\overline{\ln\sigma(-G(y))}`（两项分别在数据、噪声上取平均）。
    输入是 torch 张量：模型与噪声分布在数据点、噪声点上的对数密度。
    """
    import torch
    import torch.nn.functional as F

    for name, t in (
        ("log_model_data", log_model_data),
        ("log_noise_data", log_noise_data),
        ("log_model_noise", log_model_noise),
        ("log_noise_noise", log_noise_noise),
    ):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if log_model_data.shape != log_noise_data.shape or log_model_noise.shape != log_noise_noise.shape:
        raise ValueError("the model and noise log-densities must have matching shapes on the data and on the noise")
    check_scalar(nu, "nu", Real, min_val=0.0, include_min=False)
    log_nu = math.log(nu)
    g_data = log_model_data - log_noise_data - log_nu
    g_noise = log_model_noise - log_noise_noise - log_nu
    return -F.logsigmoid(g_data).mean() - nu * F.logsigmoid(-g_noise).mean()


def __getattr__(name: str):
    # Word2Vec 与 train_word2vec 需要 PyTorch：放在 lib/_text_torch.py 里，第一次用到时才导入，
    # 这样只用向量化器、n-gram 与 SVD 的页面不必为导入 torch 付出时间
    if name in ("Word2Vec", "train_word2vec", "TransformerLM", "ELMo"):
        from . import _text_torch

        return getattr(_text_torch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
