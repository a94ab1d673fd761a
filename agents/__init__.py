"""Who acts in an environment: oracle, random and language-model agents.

Agents act on a batch of conversations at once; :func:`agents.rollout.rollout` plays episodes
through Gymnasium vector envs and returns their trajectories, and :func:`agents.evaluate.play`
plays a language model on a list of tasks and records them (:func:`agents.evaluate.summarize`
reports their scores).
"""
