"""Pulumi type tokens the policies read (pulumi-aws 7.51.1, pulumi-kubernetes 4.34.2).

Each resource policy matches on these strings exactly, so a renamed token shows up here once. Deprecated
aliases (e.g. `aws:s3/bucketV2:BucketV2`) are listed next to their current token.
"""

AWS_PROVIDER = "pulumi:providers:aws"
STACK = "pulumi:pulumi:Stack"
"""The root resource of every stack (policies about the stack's config, not one resource)."""

S3_BUCKET = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
S3_SSE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
S3_VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
S3_PUBLIC_ACCESS_BLOCK = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
S3_LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
S3_OBJECT_LOCK = (
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
)
S3_BUCKET_POLICY = ("aws:s3/bucketPolicy:BucketPolicy",)
S3_ACL = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
S3_OBJECT = ("aws:s3/bucketObjectv2:BucketObjectv2", "aws:s3/bucketObject:BucketObject")

SQS_QUEUE_POLICY = ("aws:sqs/queuePolicy:QueuePolicy",)
SNS_TOPIC_POLICY = ("aws:sns/topicPolicy:TopicPolicy",)
ECR_REPOSITORY_POLICY = ("aws:ecr/repositoryPolicy:RepositoryPolicy",)
ECR_PUBLIC_REPOSITORY = ("aws:ecrpublic/repository:Repository",)
SECRET_POLICY = ("aws:secretsmanager/secretPolicy:SecretPolicy",)
LAMBDA_PERMISSION = ("aws:lambda/permission:Permission",)
LAMBDA_FUNCTION_URL = ("aws:lambda/functionUrl:FunctionUrl",)
ECS_SERVICE = ("aws:ecs/service:Service",)
ECS_TASK_DEFINITION = ("aws:ecs/taskDefinition:TaskDefinition",)
EKS_NODE_GROUP = ("aws:eks/nodeGroup:NodeGroup",)
EKS_ACCESS_POLICY_ASSOCIATION = ("aws:eks/accessPolicyAssociation:AccessPolicyAssociation",)

CLOUDTRAIL = ("aws:cloudtrail/trail:Trail",)
EKS_CLUSTER = ("aws:eks/cluster:Cluster",)
LAUNCH_TEMPLATE = ("aws:ec2/launchTemplate:LaunchTemplate",)
EC2_INSTANCE = ("aws:ec2/instance:Instance",)
EBS_VOLUME = ("aws:ebs/volume:Volume",)
KMS_KEY = ("aws:kms/key:Key",)
KMS_ALIAS = ("aws:kms/alias:Alias",)
SNS_TOPIC = ("aws:sns/topic:Topic",)
SQS_QUEUE = ("aws:sqs/queue:Queue",)
DYNAMODB_TABLE = ("aws:dynamodb/table:Table",)
SSM_PARAMETER = ("aws:ssm/parameter:Parameter",)
SECRET = ("aws:secretsmanager/secret:Secret",)
RDS_INSTANCE = ("aws:rds/instance:Instance",)
RDS_CLUSTER = ("aws:rds/cluster:Cluster",)
RDS_CLUSTER_INSTANCE = ("aws:rds/clusterInstance:ClusterInstance",)
RDS_GLOBAL_CLUSTER = ("aws:rds/globalCluster:GlobalCluster",)
ELASTICACHE_REPLICATION_GROUP = ("aws:elasticache/replicationGroup:ReplicationGroup",)
ELASTICACHE_CLUSTER = ("aws:elasticache/cluster:Cluster",)
OPENSEARCH_DOMAIN = ("aws:opensearch/domain:Domain",)
LB = (
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:alb/loadBalancer:LoadBalancer",
    "aws:elasticloadbalancingv2/loadBalancer:LoadBalancer",
    "aws:applicationloadbalancing/loadBalancer:LoadBalancer",
)
LB_LISTENER = (
    "aws:lb/listener:Listener",
    "aws:alb/listener:Listener",
    "aws:elasticloadbalancingv2/listener:Listener",
    "aws:applicationloadbalancing/listener:Listener",
)
LB_LISTENER_RULE = (
    "aws:lb/listenerRule:ListenerRule",
    "aws:alb/listenerRule:ListenerRule",
    "aws:elasticloadbalancingv2/listenerRule:ListenerRule",
    "aws:applicationloadbalancing/listenerRule:ListenerRule",
)
WAF_ASSOCIATION = ("aws:wafv2/webAclAssociation:WebAclAssociation",)
VPC = ("aws:ec2/vpc:Vpc",)
FLOW_LOG = ("aws:ec2/flowLog:FlowLog",)
LOG_GROUP = ("aws:cloudwatch/logGroup:LogGroup",)
IAM_POLICY_DOCUMENTS = ("aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/role:Role",
                        "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy")
IAM_POLICY_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
)
IAM_ROLE = ("aws:iam/role:Role",)
IAM_STATIC_CREDENTIALS = ("aws:iam/accessKey:AccessKey", "aws:iam/userLoginProfile:UserLoginProfile",
                          "aws:iam/serviceSpecificCredential:ServiceSpecificCredential")
SECURITY_GROUP = ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
SECURITY_GROUP_INGRESS = ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",)
SECURITY_GROUP_RULE = ("aws:ec2/securityGroupRule:SecurityGroupRule",)
"""A standalone rule whose `type` says ingress or egress."""
BUDGET = ("aws:budgets/budget:Budget",)
ECR_REPOSITORY = ("aws:ecr/repository:Repository",)

K8S_POD = ("kubernetes:core/v1:Pod",)
K8S_WORKLOADS = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet",
    "kubernetes:core/v1:ReplicationController",
    "kubernetes:core/v1:PodTemplate",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
)
K8S_POD_PATCHES = tuple(f"{token}Patch" for token in K8S_POD + K8S_WORKLOADS)
"""Server-side-apply patches of existing objects (pulumi-kubernetes `*Patch`): they carry only the fields they set,
so checks judge the values they set, not what they leave out."""
K8S_POD_BEARING = K8S_POD + K8S_WORKLOADS + K8S_POD_PATCHES
K8S_SCALABLE = ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:ReplicaSet",
                "kubernetes:core/v1:ReplicationController")
K8S_SERVICE = ("kubernetes:core/v1:Service",)
K8S_PERSISTENT_VOLUME = ("kubernetes:core/v1:PersistentVolume",)
K8S_RBAC_ROLES = ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "kubernetes:rbac.authorization.k8s.io/v1:Role")
K8S_RBAC_BINDINGS = ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
                     "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
K8S_NAMESPACE = ("kubernetes:core/v1:Namespace",)
K8S_CONFIGMAP = ("kubernetes:core/v1:ConfigMap",)
K8S_PDB = ("kubernetes:policy/v1:PodDisruptionBudget",)
K8S_NETWORK_POLICY = ("kubernetes:networking.k8s.io/v1:NetworkPolicy",)
K8S_HPA = ("kubernetes:autoscaling/v2:HorizontalPodAutoscaler",)
KEDA_SCALED_OBJECT = ("kubernetes:keda.sh/v1alpha1:ScaledObject",)
HELM_RELEASE = ("kubernetes:helm.sh/v3:Release",)
KARPENTER_NODEPOOL = ("kubernetes:karpenter.sh/v1:NodePool",)
KARPENTER_NODECLASS = ("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",)
