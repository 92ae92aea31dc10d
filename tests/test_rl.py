"""lib.rl: dynamic programming on gymnasium's transition tables (value iteration = policy iteration =
the Bellman equations), exploration rules, TD(0), SARSA vs Q-learning on CliffWalking, replay and DQN."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from scipy import stats

import lib
from lib import rl


@pytest.fixture(scope="module")
def frozen_lake():
    return gym.make("FrozenLake-v1").unwrapped.P


@pytest.fixture(scope="module")
def cliff():
    return gym.make("CliffWalking-v1")


def random_mdp(n_states=6, n_actions=3, seed=0):
    rng = np.random.default_rng(seed)
    P = {}
    for s in range(n_states):
        P[s] = {}
        for a in range(n_actions):
            p = rng.dirichlet(np.ones(n_states))
            P[s][a] = [(float(p[t]), t, float(rng.normal()), False) for t in range(n_states)]
    return P


def test_transition_arrays_and_bad_tables(frozen_lake):
    T, R, C = rl.transition_arrays(frozen_lake)
    assert T.shape == (16, 4, 16) and np.allclose(T.sum(-1), 1) and np.all(C <= T + 1e-15)
    with pytest.raises(ValueError, match="sum to"):
        rl.transition_arrays({0: {0: [(0.5, 0, 0.0, False)]}})
    with pytest.raises(ValueError, match="unknown state"):
        rl.transition_arrays({0: {0: [(1.0, 3, 0.0, False)]}})
    with pytest.raises(ValueError, match="prob, next_state"):
        rl.transition_arrays({0: {0: [(1.0, 0)]}})
    with pytest.raises(TypeError, match="dict"):
        rl.transition_arrays([[(1.0, 0, 0.0, False)]])
    with pytest.raises(ValueError, match="gamma"):
        rl.value_iteration(frozen_lake, 1.0)
    with pytest.raises(ValueError, match="gamma"):
        rl.policy_iteration(frozen_lake, -0.1)


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99])
def test_value_iteration_equals_policy_iteration_and_the_bellman_equations(frozen_lake, gamma):
    for P in (frozen_lake, random_mdp(seed=int(gamma * 100))):
        V, pi = rl.value_iteration(P, gamma, tol=1e-12)
        V2, pi2 = rl.policy_iteration(P, gamma)
        assert np.allclose(V, V2, atol=1e-8)
        Q = rl.q_from_v(P, V, gamma)
        assert np.allclose(Q.max(1), V, atol=1e-8)  # Bellman optimality
        assert np.allclose(Q[np.arange(len(V)), pi2], V, atol=1e-8)
        assert np.allclose(rl.policy_evaluation(P, pi2, gamma, tol=1e-13), V, atol=1e-8)


def test_policy_evaluation_equals_the_linear_solve():
    P = random_mdp(seed=3)
    T, R, C = rl.transition_arrays(P)
    pi = np.random.default_rng(1).dirichlet(np.ones(3), size=6)
    V = rl.policy_evaluation(P, pi, 0.8, tol=1e-13)
    exact = np.linalg.solve(np.eye(6) - 0.8 * np.einsum("sa,sat->st", pi, C), np.sum(pi * R, 1))
    assert np.allclose(V, exact, atol=1e-10)
    with pytest.raises(ValueError, match="probability distribution"):
        rl.policy_evaluation(P, np.ones((6, 3)), 0.8)


def test_returns_under_three_models_of_optimality():
    a1 = [2] + [0] * 999
    a2 = [0] * 4 + [10] * 996
    a3 = [0] * 6 + [11] * 994
    finite = [rl.discounted_return(r, model="finite", horizon=4) for r in (a1, a2, a3)]
    disc = [rl.discounted_return(r, gamma=0.9) for r in (a1, a2, a3)]
    avg = [rl.discounted_return(r, model="average") for r in (a1, a2, a3)]
    assert finite == [2, 0, 0] and np.argmax(finite) == 0
    assert np.allclose(disc, [2, 65.61, 58.4585], atol=1e-3) and np.argmax(disc) == 1
    assert np.argmax(avg) == 2


def test_exploration_rules():
    assert np.allclose(rl.boltzmann([1, 2, 3], 1.0), [0.0900, 0.2447, 0.6652], atol=5e-5)
    assert np.allclose(rl.boltzmann([1, 2, 3], 0.5), [0.0159, 0.1173, 0.8668], atol=5e-5)
    rng = np.random.default_rng(0)
    picks = np.array([rl.epsilon_greedy([0.0, 1.0, 0.5, 0.2], 0.2, rng) for _ in range(40_000)])
    assert abs(np.mean(picks == 1) - (0.8 + 0.2 / 4)) < 0.01


def test_td0_on_the_random_walk():
    env = rl.RandomWalk(5)
    truth = np.arange(1, 6) / 6
    V = rl.policy_evaluation(env.P, np.zeros(7, dtype=int), 0.999999999, tol=1e-13)
    assert np.allclose(V[1:6], truth, atol=1e-6)
    history = rl.td0(env, lambda s: 0, alpha=0.05, episodes=1000, seed=0)
    assert np.sqrt(np.mean((history[-1, 1:6] - truth) ** 2)) < 0.1


def test_sarsa_takes_the_safe_path_and_q_learning_the_optimal_one(cliff):
    def greedy_return(Q):
        s, _ = cliff.reset(seed=0)
        total = 0
        for _ in range(200):
            s, r, terminated, truncated, _ = cliff.step(int(Q[s].argmax()))
            total += r
            if terminated or truncated:
                break
        return total

    s = rl.sarsa(cliff, alpha=0.5, epsilon=0.1, episodes=500, seed=0)
    q = rl.q_learning(cliff, alpha=0.5, epsilon=0.1, episodes=500, seed=0)
    assert greedy_return(q.Q) == -13 and greedy_return(s.Q) < -13
    assert np.mean(s.returns[-100:]) > np.mean(q.returns[-100:])  # online, SARSA falls less often


def test_replay_buffer_samples_uniformly_and_dqn_runs():
    buf = rl.ReplayBuffer(50, 2)
    for i in range(80):
        buf.add([i, i], i % 2, 1.0, [i + 1, i + 1], False)
    assert buf.size == 50
    rng = np.random.default_rng(0)
    drawn = np.concatenate([buf.sample(100, rng)[0][:, 0].numpy().astype(int) for _ in range(200)])
    assert drawn.min() == 30 and drawn.max() == 79  # the ring keeps the last 50 transitions
    counts = np.bincount(drawn - 30, minlength=50)
    assert stats.chisquare(counts).pvalue > 0.01
    env = gym.make("CartPole-v1")
    torch.manual_seed(0)
    h1 = rl.dqn(env, lib.nn.MLP([4, 16, 2]), steps=300, warmup=50, seed=0)
    torch.manual_seed(0)
    h2 = rl.dqn(env, lib.nn.MLP([4, 16, 2]), steps=300, warmup=50, seed=0)
    assert h1.returns == h2.returns and len(h1.returns) > 3
    with pytest.raises(TypeError, match="qnet"):
        rl.dqn(env, "net")
    with pytest.raises(ValueError, match="empty"):
        rl.ReplayBuffer(5, 2).sample(3, rng)
