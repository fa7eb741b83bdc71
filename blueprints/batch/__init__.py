"""The asynchronous batch tier: an OpenAI Batch API-compatible jobs API (`api`), the queue worker (`worker`),
their shared state in S3, SQS and DynamoDB (`store`, `queue`) and the Kubernetes objects that run them
(`manifests`). The runtime modules import only the standard library, boto3, httpx and FastAPI: they ship in
images/batch-worker without the rest of the package."""
