"""One router per resource; each stays thin: translate input, call the rules, return models."""
