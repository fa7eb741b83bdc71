"""LLM platform blueprints: Pulumi components and scenario presets for production LLM serving on AWS EKS."""
