"""lib.tree (chapter 9.1-9.2) against scipy, scikit-learn and the worked numbers of lecture L8 (notes: seed-001 L8)."""

import numpy as np
import pytest
from scipy.stats import entropy as scipy_entropy
from sklearn import datasets
from sklearn import tree as sktree
from sklearn.exceptions import NotFittedError
from sklearn.metrics import mutual_info_score
from sklearn.model_selection import train_test_split

import lib
from lib.tree import (
    DecisionTreeClassifier,
    conditional_entropy,
    entropy,
    export_text,
    gain_ratio,
    gini,
    information_gain,
    label_entropy,
    reduced_error_prune,
    reduced_error_pruning_path,
    split_information,
)


# ---------------------------------------------------------------------------------------------
# The tables of lecture L8 (lib.data)
# ---------------------------------------------------------------------------------------------
def test_tables_of_the_notes():
    movies = lib.data.movies()
    assert movies.X.shape == (9, 4) and list(movies.y).count("Yes") == 6
    assert list(movies.frame().columns) == ["Type", "Length", "Director", "Famous actors", "Liked?"]
    assert tuple(movies.X[4]) == ("Comedy", "Long", "Lasseter", "Yes") and movies.y[4] == "No"
    tennis = lib.data.play_tennis()
    assert tennis.X.shape == (14, 4) and list(tennis.y).count("yes") == 9
    assert tuple(tennis.X[13]) == ("rain", "mild", "high", "strong") and tennis.y[13] == "no"
    lenses = lib.data.contact_lenses()
    assert lenses.X.shape == (24, 4)
    assert {c: list(lenses.y).count(c) for c in ("hard", "soft", "none")} == {"hard": 4, "soft": 5, "none": 15}
    yz = lib.data.entropy_yz_table()
    assert "".join(yz.X[:, 0]) == "ttttff" and "".join(yz.y) == "tttttf"


# ---------------------------------------------------------------------------------------------
# Entropy, conditional entropy, information gain (L8.2)
# ---------------------------------------------------------------------------------------------
def test_entropy_examples_of_the_notes():
    assert entropy([0.25] * 4) == pytest.approx(2.0)
    assert round(entropy([0.75, 0.25]), 4) == 0.8113  # the slide prints 0.8133
    assert entropy([1.0]) == 0.0 and entropy([1.0, 0.0]) == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_entropy_and_gini_match_references(seed):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(rng.integers(2, 8)))
    assert entropy(p) == pytest.approx(scipy_entropy(p, base=2), rel=1e-12)
    assert entropy(p, base=np.e) == pytest.approx(scipy_entropy(p), rel=1e-12)
    assert gini(p) == pytest.approx(1 - np.sum(p**2))
    assert 0 <= entropy(p) <= np.log2(len(p)) + 1e-12  # maximal for the uniform distribution
    labels = rng.integers(0, 4, size=50)
    counts = np.bincount(labels)
    assert label_entropy(labels) == pytest.approx(scipy_entropy(counts, base=2), rel=1e-12)


def test_yz_table_of_the_notes():
    yz = lib.data.entropy_yz_table()
    Z, Y = yz.y, yz.X[:, 0]
    assert round(label_entropy(Z), 4) == 0.6500
    assert conditional_entropy(Z, Y) == pytest.approx(2 / 6)
    assert round(information_gain(Z, Y), 4) == 0.3167
    assert label_entropy(Z) >= conditional_entropy(Z, Y)


def test_movie_table_entropies_and_gains_of_the_notes():
    movies = lib.data.movies()
    y = movies.y
    assert round(label_entropy(y), 4) == 0.9183
    cond = [round(conditional_entropy(y, movies.X[:, j]), 4) for j in range(4)]
    assert cond == [0.6122, 0.6122, 0.3606, 0.8455]
    gains = [round(information_gain(y, movies.X[:, j]), 4) for j in range(4)]
    assert gains == [0.3061, 0.3061, 0.5577, 0.0728]  # the slide: 0.3, 0.3, 0.55, 0.06 (Actor is wrong)
    assert int(np.argmax(gains)) == 2  # Director at the root
    lasseter = movies.X[:, 2] == "Lasseter"
    assert round(label_entropy(y[lasseter]), 4) == 0.8113
    sub = [round(information_gain(y[lasseter], movies.X[lasseter, j]), 4) for j in (0, 1, 3)]
    assert sub == [0.8113, 0.8113, 0.3113]


def test_tennis_gains_of_the_notes():
    tennis = lib.data.play_tennis()
    X, y = tennis.X, tennis.y
    assert round(label_entropy(y), 4) == 0.9403
    assert [round(information_gain(y, X[:, j]), 4) for j in range(4)] == [0.2467, 0.0292, 0.1518, 0.0481]
    sunny, rain = X[:, 0] == "sunny", X[:, 0] == "rain"
    assert [round(information_gain(y[sunny], X[sunny, j]), 4) for j in (1, 2, 3)] == [0.5710, 0.9710, 0.0200]
    assert [round(information_gain(y[rain], X[rain, j]), 4) for j in (1, 2, 3)] == [0.0200, 0.0200, 0.9710]


@pytest.mark.parametrize("seed", range(4))
def test_information_gain_is_mutual_information(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 4, size=200)
    z = (a + rng.integers(0, 3, size=200)) % 3
    ig = information_gain(z, a)
    assert ig == pytest.approx(mutual_info_score(z, a) / np.log(2), rel=1e-10)  # sklearn uses nats
    assert ig == pytest.approx(information_gain(a, z), rel=1e-10)  # symmetric
    assert gain_ratio(z, a) == pytest.approx(ig / split_information(a))


def test_weighted_entropy_equals_repeated_samples():
    y = np.array(["a", "b", "b", "c"])
    attr = np.array([0, 0, 1, 1])
    w = np.array([1, 2, 3, 1])
    y_rep, attr_rep = np.repeat(y, w), np.repeat(attr, w)
    assert label_entropy(y, w) == pytest.approx(label_entropy(y_rep))
    assert information_gain(y, attr, w) == pytest.approx(information_gain(y_rep, attr_rep))


def test_entropy_input_errors():
    with pytest.raises(ValueError, match="p must sum to 1, got sum"):
        entropy([0.5, 0.6])
    with pytest.raises(ValueError, match="p must be non-negative"):
        entropy([1.5, -0.5])
    with pytest.raises(ValueError, match="base must be > 1"):
        entropy([1.0], base=1)
    with pytest.raises(ValueError, match="target and attribute must have the same length, got 3 and 2"):
        information_gain([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="sample_weight must have one entry per sample \\(3\\), got 2"):
        label_entropy([1, 2, 3], [1.0, 1.0])
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        label_entropy([1, 2], [1.0, -1.0])
    with pytest.raises(TypeError, match="only strings or only numbers"):
        label_entropy(np.array(["a", 1], dtype=object))
    assert gain_ratio(["a", "b"], ["x", "x"]) == 0.0  # a constant attribute: split information 0


# ---------------------------------------------------------------------------------------------
# ID3 on the categorical tables (L8.3)
# ---------------------------------------------------------------------------------------------
def test_id3_movie_tree():
    movies = lib.data.movies()
    tree = DecisionTreeClassifier().fit(movies.X, movies.y)
    assert tree.categorical_.all()
    names = movies.feature_names
    assert names[tree.tree_.feature] == "Director"
    lasseter = tree.tree_.children[list(tree.categories_[2]).index("Lasseter")]
    assert names[lasseter.feature] == "Type"  # ties with Length: the first attribute wins
    assert tree.score(movies.X, movies.y) == 1.0
    assert tree.get_n_leaves() == 5 and tree.get_depth() == 2
    assert export_text(tree, names).splitlines()[0] == "|--- Director = Adamson"


def test_id3_tennis_tree_never_uses_temperature():
    tennis = lib.data.play_tennis()
    tree = DecisionTreeClassifier().fit(tennis.X, tennis.y)
    assert tree.used_features_ == [0, 2, 3]  # outlook, humidity, wind
    assert tree.score(tennis.X, tennis.y) == 1.0
    text = export_text(tree, tennis.feature_names)
    assert text == (
        "|--- outlook = overcast\n|   |--- class: yes\n"
        "|--- outlook = rain\n|   |--- wind = strong\n|   |   |--- class: no\n"
        "|   |--- wind = weak\n|   |   |--- class: yes\n"
        "|--- outlook = sunny\n|   |--- humidity = high\n|   |   |--- class: no\n"
        "|   |--- humidity = normal\n|   |   |--- class: yes\n"
    )
    gains = {tennis.feature_names[n.feature]: round(n.gain, 4) for n in tree.tree_.walk() if not n.is_leaf}
    assert gains == {"outlook": 0.2467, "wind": 0.9710, "humidity": 0.9710}


def test_contact_lens_tree_and_the_pupil_of_the_slide():
    lenses = lib.data.contact_lenses()
    tree = DecisionTreeClassifier().fit(lenses.X, lenses.y)
    assert lenses.feature_names[tree.tree_.feature] == "tear rate"
    assert tree.score(lenses.X, lenses.y) == 1.0
    xiaoming = [["young", "myope", "no", "normal"]]
    assert tree.predict(xiaoming)[0] == "soft"  # not "hard", as the slide's question suggests


def test_unseen_category_falls_back_to_node_majority():
    tennis = lib.data.play_tennis()
    tree = DecisionTreeClassifier().fit(tennis.X, tennis.y)
    assert tree.predict([["foggy", "hot", "high", "weak"]])[0] == "yes"  # the root's majority (9 of 14)
    np.testing.assert_allclose(tree.predict_proba([["foggy", "hot", "high", "weak"]]), [[5 / 14, 9 / 14]])


def test_mixed_categorical_and_numeric_columns():
    rng = np.random.default_rng(0)
    color = rng.choice(["red", "green", "blue"], size=120)
    size = rng.normal(size=120)
    y = np.where(color == "red", 1, np.where(size > 0.3, 1, 0))
    X = np.empty((120, 2), dtype=object)
    X[:, 0], X[:, 1] = color, size
    tree = DecisionTreeClassifier().fit(X, y)  # the string column is found to be categorical
    assert tree.score(X, y) == 1.0
    assert tree.categorical_.tolist() == [True, False]
    assert tree.get_depth() == 2 and tree.used_features_ == [0, 1]
    explicit = DecisionTreeClassifier(categorical_features=[0]).fit(X, y)
    assert export_text(explicit) == export_text(tree)
    with pytest.raises(TypeError, match="column 0 is numeric in this tree"):
        DecisionTreeClassifier(categorical_features=[1]).fit(X, y)
    codes = DecisionTreeClassifier(categorical_features=[0]).fit(
        np.c_[np.unique(color, return_inverse=True)[1], size], y
    )
    assert codes.score(np.c_[np.unique(color, return_inverse=True)[1], size], y) == 1.0


# ---------------------------------------------------------------------------------------------
# Numeric data against scikit-learn's DecisionTreeClassifier(criterion="entropy")
# ---------------------------------------------------------------------------------------------
def numeric_datasets():
    out = []
    for name, loader in [
        ("iris", datasets.load_iris),
        ("wine", datasets.load_wine),
        ("cancer", datasets.load_breast_cancer),
    ]:
        X, y = loader(return_X_y=True)
        out.append((name, X, y))
    X, y = datasets.make_moons(300, noise=0.3, random_state=0)
    out.append(("moons", X, y))
    X, y = datasets.make_classification(300, n_features=6, n_informative=4, n_classes=3, random_state=1)
    out.append(("classification", X, y))
    # scikit-learn stores X as float32; round ours the same way so that thresholds can match exactly
    return [(name, X.astype(np.float32).astype(float), y) for name, X, y in out]


NUMERIC = numeric_datasets()


@pytest.mark.parametrize("name, X, y", NUMERIC, ids=[n for n, *_ in NUMERIC])
@pytest.mark.parametrize("max_depth", [1, 2, 3, None])
def test_numeric_tree_matches_scikit_learn(name, X, y, max_depth):
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0)
    ours = DecisionTreeClassifier(criterion="entropy", max_depth=max_depth).fit(Xtr, ytr)
    ref = sktree.DecisionTreeClassifier(criterion="entropy", max_depth=max_depth, random_state=0).fit(Xtr, ytr)
    # the greedy trees can differ only where two splits have exactly equal gain; training accuracy cannot
    assert ours.score(Xtr, ytr) == ref.score(Xtr, ytr)
    assert abs(ours.score(Xte, yte) - ref.score(Xte, yte)) <= 0.05
    assert ours.get_n_leaves() == pytest.approx(ref.get_n_leaves(), abs=2)
    # the root split has the same impurity decrease
    left, right = ref.tree_.children_left[0], ref.tree_.children_right[0]
    frac = ref.tree_.weighted_n_node_samples[[left, right]] / ref.tree_.weighted_n_node_samples[0]
    ref_gain = ref.tree_.impurity[0] - frac @ ref.tree_.impurity[[left, right]]
    assert ours.tree_.gain == pytest.approx(ref_gain, abs=1e-9)
    np.testing.assert_allclose(ours.predict_proba(Xtr).sum(axis=1), 1.0)


def sklearn_gain(ref, node):
    t = ref.tree_
    left, right = t.children_left[node], t.children_right[node]
    frac = t.weighted_n_node_samples[[left, right]] / t.weighted_n_node_samples[node]
    return t.impurity[node] - frac @ t.impurity[[left, right]]


def compare_node_by_node(node, ref, k, stats):
    """Walk both trees together. Where they split differently, the two splits must tie exactly in gain."""
    t = ref.tree_
    assert node.is_leaf == (t.children_left[k] == -1)
    if node.is_leaf:
        np.testing.assert_allclose(node.value / node.value.sum(), t.value[k][0], atol=1e-12)
        return
    assert node.gain == pytest.approx(sklearn_gain(ref, k), abs=1e-9)
    if node.feature != t.feature[k] or node.threshold != pytest.approx(t.threshold[k], abs=1e-9):
        stats["ties"] += 1  # an exact tie broken differently: the subtrees may differ from here on
        return
    stats["same"] += 1
    compare_node_by_node(node.children[0], ref, t.children_left[k], stats)
    compare_node_by_node(node.children[1], ref, t.children_right[k], stats)


def node_samples(tree, X):
    """The training rows that reach each node (routed independently of lib.tree.apply)."""
    out = {}

    def route(node, idx):
        out[node.node_id] = idx
        if not node.is_leaf:
            col = X[idx, node.feature]
            route(node.children[0], idx[col <= node.threshold])
            route(node.children[1], idx[col > node.threshold])

    route(tree.tree_, np.arange(len(X)))
    return out


@pytest.mark.parametrize("name, X, y", NUMERIC, ids=[n for n, *_ in NUMERIC])
@pytest.mark.parametrize("criterion", ["entropy", "gini"])
def test_same_splits_as_scikit_learn_up_to_exact_ties(name, X, y, criterion):
    ours = DecisionTreeClassifier(criterion=criterion, max_depth=6).fit(X, y)
    ref = sktree.DecisionTreeClassifier(criterion=criterion, max_depth=6, random_state=0).fit(X, y)
    stats = {"same": 0, "ties": 0}
    compare_node_by_node(ours.tree_, ref, 0, stats)
    # Where the walk stopped at a tie, check every node of our tree on its own: scikit-learn's best split
    # of the same samples (a depth-1 tree) has the same gain, and our leaves are pure or at the depth limit.
    samples = node_samples(ours, X)
    for node in ours.tree_.walk():
        idx = samples[node.node_id]
        if node.is_leaf:
            assert len(np.unique(y[idx])) == 1 or node.depth == 6
            continue
        stump = sktree.DecisionTreeClassifier(criterion=criterion, max_depth=1, random_state=0).fit(X[idx], y[idx])
        assert node.gain == pytest.approx(sklearn_gain(stump, 0), abs=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_identical_text_where_there_are_no_ties(seed):
    """Shallow trees on continuous data (no exact ties here): the same tree, printed the same way."""
    X, y = datasets.make_moons(400, noise=0.3, random_state=seed)
    X = X.astype(np.float32).astype(float)
    ours = DecisionTreeClassifier(max_depth=3).fit(X, y)
    ref = sktree.DecisionTreeClassifier(criterion="entropy", max_depth=3, random_state=0).fit(X, y)
    assert export_text(ours) == sktree.export_text(ref)
    assert export_text(ours, show_weights=True) == sktree.export_text(ref, show_weights=True)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


def test_sample_weight_equals_repeated_rows():
    X, y = datasets.make_moons(80, noise=0.3, random_state=2)
    w = np.random.default_rng(0).integers(1, 4, size=80)
    a = DecisionTreeClassifier(max_depth=3).fit(X, y, sample_weight=w)
    b = DecisionTreeClassifier(max_depth=3).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    assert export_text(a) == export_text(b)


def test_stopping_rules():
    X, y = datasets.load_breast_cancer(return_X_y=True)
    full = DecisionTreeClassifier().fit(X, y)
    assert DecisionTreeClassifier(max_depth=2).fit(X, y).get_depth() == 2
    leafy = DecisionTreeClassifier(min_samples_leaf=20).fit(X, y)
    assert min(n.n_samples for n in leafy.tree_.walk() if n.is_leaf) >= 20
    small = DecisionTreeClassifier(min_impurity_decrease=0.02).fit(X, y)
    for node in small.tree_.walk():
        if not node.is_leaf:
            assert node.n_samples / len(y) * node.gain >= 0.02 - 1e-12
    assert small.get_n_leaves() < full.get_n_leaves()
    forest_tree = DecisionTreeClassifier(max_features="sqrt", random_state=0).fit(X, y)
    assert forest_tree.max_features_ == 5 and forest_tree.score(X, y) == 1.0


def test_tree_input_errors():
    X, y = datasets.load_iris(return_X_y=True)
    with pytest.raises(NotFittedError, match="not fitted"):
        DecisionTreeClassifier().predict(X)
    with pytest.raises(ValueError, match="criterion must be one of"):
        DecisionTreeClassifier(criterion="log_loss").fit(X, y)
    with pytest.raises(ValueError, match="max_depth must be >= 0"):
        DecisionTreeClassifier(max_depth=-1).fit(X, y)
    with pytest.raises(ValueError, match="min_samples_split must be >= 2"):
        DecisionTreeClassifier(min_samples_split=1).fit(X, y)
    with pytest.raises(ValueError, match="max_features must be <= 4"):
        DecisionTreeClassifier(max_features=5).fit(X, y)
    with pytest.raises(ValueError, match="max_features must be None, an int"):
        DecisionTreeClassifier(max_features="half").fit(X, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples: \\[150, 149\\]"):
        DecisionTreeClassifier().fit(X, y[:-1])
    with pytest.raises(ValueError, match="Sample weights must contain at least one non-zero number"):
        DecisionTreeClassifier().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        DecisionTreeClassifier().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="categorical_features must be column indices in \\[0, 4\\)"):
        DecisionTreeClassifier(categorical_features=[4]).fit(X, y)
    tree = DecisionTreeClassifier().fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but DecisionTreeClassifier is expecting 4 features"):
        tree.predict(X[:, :3])
    with pytest.raises(ValueError, match="feature_names must contain 4 elements, got 2"):
        export_text(tree, ["a", "b"])
    assert repr(DecisionTreeClassifier(max_depth=3)) == "DecisionTreeClassifier(max_depth=3)"


def test_a_pandas_table_with_string_number_and_bool_columns():
    pd = pytest.importorskip("pandas")
    table = pd.DataFrame(
        {
            "outlook": ["sunny", "rain", "overcast", "rain", "sunny", "overcast"] * 2,
            "temp": [30.0, 20.0, 25.0, 18.0, 28.0, 22.0] * 2,
            "windy": [True, False, True, True, False, False] * 2,
        }
    )
    play = pd.Series(["no", "yes", "yes", "no", "no", "yes"] * 2)
    tree = DecisionTreeClassifier().fit(table, play)
    np.testing.assert_array_equal(tree.feature_names_in_, ["outlook", "temp", "windy"])
    np.testing.assert_array_equal(tree.categorical_, [True, False, False])  # strings categorical, bools numeric
    assert tree.score(table, play) == 1.0 and export_text(tree, list(table.columns)).startswith("|--- outlook = ")
    with pytest.raises(ValueError, match="The feature names should match those that were passed during fit"):
        tree.predict(table.rename(columns={"temp": "temperature"}))


def test_integer_sample_weights_equal_repeating_and_zero_weights_equal_removing():
    X, y = datasets.load_iris(return_X_y=True)
    w = np.random.default_rng(0).integers(0, 3, size=len(y))  # about a third of the samples get weight 0
    weighted = DecisionTreeClassifier().fit(X, y, sample_weight=w)
    repeated = DecisionTreeClassifier().fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    assert export_text(weighted, decimals=6) == export_text(repeated, decimals=6)  # same splits, same thresholds
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X))
    assert weighted.tree_.n_samples == np.count_nonzero(w)


# ---------------------------------------------------------------------------------------------
# Reduced-error pruning
# ---------------------------------------------------------------------------------------------
def brute_force_best_prune(tree, X_val, y_val):
    """Validation accuracy after pruning each internal node alone (an independent re-computation)."""
    import copy

    best = -1.0
    for node in tree.tree_.walk():
        if node.is_leaf:
            continue
        trial = copy.deepcopy(tree)
        target = next(n for n in trial.tree_.walk() if n.node_id == node.node_id)
        target.make_leaf()
        best = max(best, trial.score(X_val, y_val))
    return best


def test_reduced_error_pruning_path_is_greedy_and_ends_at_the_root():
    X, y = datasets.make_moons(400, noise=0.35, random_state=0)
    Xtr, Xval, ytr, yval = train_test_split(X, y, test_size=0.4, random_state=0)
    tree = DecisionTreeClassifier().fit(Xtr, ytr)
    path = reduced_error_pruning_path(tree, Xval, yval)
    assert path[0].n_leaves == tree.get_n_leaves() and path[-1].n_leaves == 1
    assert all(a.n_leaves > b.n_leaves for a, b in zip(path, path[1:]))
    for step in path:  # the recorded accuracy is the pruned tree's real accuracy
        assert step.val_accuracy == pytest.approx(step.tree.score(Xval, yval))
    for before, after in zip(path[:5], path[1:6]):  # each step is the best single prune
        assert after.val_accuracy == pytest.approx(brute_force_best_prune(before.tree, Xval, yval))
    assert tree.get_n_leaves() == path[0].n_leaves  # the input tree is not modified


def test_reduced_error_prune_stops_before_accuracy_drops():
    X, y = datasets.make_moons(400, noise=0.35, random_state=1)
    Xtr, Xval, ytr, yval = train_test_split(X, y, test_size=0.4, random_state=1)
    tree = DecisionTreeClassifier().fit(Xtr, ytr)
    pruned = reduced_error_prune(tree, Xval, yval)
    assert pruned.get_n_leaves() < tree.get_n_leaves()
    assert pruned.score(Xval, yval) >= tree.score(Xval, yval)
    assert brute_force_best_prune(pruned, Xval, yval) < pruned.score(Xval, yval)  # any further prune hurts


def test_pruning_categorical_tree():
    tennis = lib.data.play_tennis()
    tree = DecisionTreeClassifier().fit(tennis.X, tennis.y)
    pruned = reduced_error_prune(tree, tennis.X, tennis.y)  # validating on the training set prunes nothing
    assert pruned.get_n_leaves() == tree.get_n_leaves()
    path = reduced_error_pruning_path(tree, tennis.X, tennis.y)
    assert [round(s.val_accuracy, 4) for s in path] == sorted(round(s.val_accuracy, 4) for s in path)[::-1]


# ---------------------------------------------------------------------------------------------
# The two chapter-9 figures
# ---------------------------------------------------------------------------------------------
def test_plot_tree_draws_one_box_per_node():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tennis = lib.data.play_tennis()
    tree = DecisionTreeClassifier().fit(tennis.X, tennis.y)
    fig, ax = plt.subplots()
    lib.tree.plot_tree(ax, tree, tennis.feature_names)
    boxes = [t for t in ax.texts if t.get_bbox_patch() is not None and t.get_text() in {"outlook", "wind", "humidity"}]
    assert len(boxes) == 3
    leaves = [t.get_text() for t in ax.texts if t.get_text().startswith(("yes\n", "no\n"))]
    assert sorted(leaves) == sorted(["yes\n(4)", "no\n(2)", "yes\n(3)", "no\n(3)", "yes\n(2)"])
    assert len(ax.lines) == 7  # one edge per non-root node
    with pytest.raises(ValueError, match="feature_names must contain 4 elements"):
        lib.tree.plot_tree(ax, tree, ["a"])
    plt.close(fig)


def test_plot_decision_regions_colours_the_predicted_class():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y = datasets.make_moons(100, noise=0.2, random_state=0)
    tree = DecisionTreeClassifier(max_depth=1).fit(X, y)
    fig, ax = plt.subplots()
    lib.plot.decision_regions(ax, tree, X, y, resolution=50)
    assert ax.get_xlim()[0] < X[:, 0].min() and ax.get_ylim()[1] > X[:, 1].max()
    scattered = [c for c in ax.collections if len(getattr(c, "get_offsets", lambda: [])()) == 100]
    assert len(scattered) == 1  # the samples
    np.testing.assert_array_equal(scattered[0].get_array(), y)  # coloured by their class index
    with pytest.raises(ValueError, match="X must have 2 columns"):
        lib.plot.decision_regions(ax, tree, np.zeros((3, 3)))
    plt.close(fig)
