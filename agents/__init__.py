"""Who acts in an environment: oracle and baseline agents, and (later) language-model agents.

Agents act on a batch of conversations at once; :func:`agents.rollout.rollout` plays episodes
through Gymnasium vector envs and returns their trajectories.
"""
