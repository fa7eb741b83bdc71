"""The control catalog: every control the packs speak to, with its real identifier, and why the mapped policies
are evidence for it.

`automated` controls are evidenced by at least one policy (matrix.py enforces it) and state their `coverage`:
`full` when the mapped policies verify everything the control asks of the infrastructure, `partial` when they verify
one technical part of it and the rest is the assessor's to confirm (`why` says which part, and what is left). `process`
controls need people and paperwork (a risk assessment, an incident plan, a DPIA); the report lists them as "process:
reviewer to confirm" with the evidence a reviewer should ask for.

Control texts: HIPAA 45 CFR 164.308/164.312; AICPA TSC 2017 (points of focus revised 2022); GDPR Arts. 5, 25, 32, 44;
PCI DSS v4.0 (March 2022); ISO/IEC 27001:2022 Annex A; Regulation (EU) 2024/1689 Arts. 12, 15, 19; NIST SP 800-53
Rev. 5 (doi:10.6028/NIST.SP.800-53r5).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

FRAMEWORKS: dict[str, str] = {
    "HIPAA": "HIPAA Security Rule, 45 CFR Part 164 Subpart C",
    "SOC 2": "AICPA Trust Services Criteria (2017, points of focus revised 2022)",
    "GDPR": "Regulation (EU) 2016/679",
    "PCI DSS": "PCI DSS v4.0",
    "ISO 27001": "ISO/IEC 27001:2022 Annex A",
    "EU AI Act": "Regulation (EU) 2024/1689",
    "NIST 800-53": "NIST SP 800-53 Rev. 5, Security and Privacy Controls for Information Systems and Organizations",
}
SPEC_FRAMEWORKS: dict[str, str] = {
    "soc2": "SOC 2", "hipaa": "HIPAA", "gdpr": "GDPR", "pci-dss": "PCI DSS", "iso27001": "ISO 27001",
    "eu-ai-act": "EU AI Act", "nist-800-53": "NIST 800-53",
}
"""The platform spec's `compliance.frameworks` ids (blueprints/spec.py `Framework`) -> the names above."""

Coverage = Literal["full", "partial"]


class Control(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    framework: str
    id: str
    title: str
    kind: Literal["automated", "process"]
    coverage: Coverage | None = None
    why: str | None = None
    """Automated controls: why the mapped policies are evidence for the control, and what they leave out."""
    evidence: str | None = None
    """Process controls: what a reviewer should ask for."""

    @model_validator(mode="after")
    def _stated(self) -> Control:
        if self.kind == "automated" and not (self.coverage and self.why):
            raise ValueError(f"{self.framework} {self.id}: an automated control states its coverage and why")
        if self.kind == "process" and not self.evidence:
            raise ValueError(f"{self.framework} {self.id}: a process control names the evidence to ask for")
        return self


def _a(framework: str, control_id: str, title: str, coverage: Coverage, why: str) -> Control:
    return Control(framework=framework, id=control_id, title=title, kind="automated", coverage=coverage, why=why)


def _p(framework: str, control_id: str, title: str, evidence: str) -> Control:
    return Control(framework=framework, id=control_id, title=title, kind="process", evidence=evidence)


_ENCRYPTION = ("the policies verify that every data store the stack declares (S3, EBS and node volumes, RDS, "
               "ElastiCache, OpenSearch, Secrets Manager, CloudWatch Logs, CloudTrail, EKS Secrets) encrypts at rest "
               "under KMS")
_TLS = ("the policies verify that every listener serves HTTPS with a TLS 1.2+ forward-secret policy (HTTP only "
        "redirects), S3 refuses plaintext requests, and caches and search domains encrypt in transit")
_LOGS = ("the policies verify that CloudTrail (multi-region), EKS control-plane audit logs, ALB and S3 access logs, "
         "VPC flow logs and the gateway's per-request log sink are switched on")

CONTROLS: tuple[Control, ...] = (
    # HIPAA Security Rule
    _a("HIPAA", "164.308(a)(7)(ii)(A)", "Contingency plan: data backup plan", "partial",
       "Retrievable exact copies: S3 versioning and RDS automated backups (7+ days) are verified; the backup "
       "procedures and restore tests are the entity's."),
    _a("HIPAA", "164.312(a)(1)", "Access control", "partial",
       "Technical access limits: buckets block public access, data sits behind customer-managed key policies and "
       "the gateway refuses requests without a key; who is granted access is the entity's procedure."),
    _a("HIPAA", "164.312(a)(2)(iv)", "Encryption and decryption (addressable)", "partial",
       f"The mechanism the specification names: {_ENCRYPTION}; application-level encryption is not checked."),
    _a("HIPAA", "164.312(b)", "Audit controls", "partial",
       f"Mechanisms that record activity: {_LOGS}; examining the records is the entity's procedure."),
    _a("HIPAA", "164.312(c)(1)", "Integrity", "partial",
       "Protection from improper alteration or destruction: versioned buckets, an Object Lock audit bucket and "
       "CloudTrail log-file validation; integrity of data inside databases is not checked."),
    _a("HIPAA", "164.312(e)(1)", "Transmission security", "partial",
       f"Guarding data on networks: {_TLS}; traffic inside the cluster between pods is not checked for TLS."),
    _p("HIPAA", "164.312(d)", "Person or entity authentication",
       "Identity-provider configuration for people (ALB OIDC, MFA) and the register of gateway virtual keys with "
       "their owners: a shared gateway master key authenticates no person, so no policy is mapped here"),
    _p("HIPAA", "164.308(a)(1)(ii)(A)", "Risk analysis", "A current written risk analysis covering the platform"),
    _p("HIPAA", "164.308(a)(6)(ii)", "Security incident response and reporting", "Incident runbook, on-call rota"),
    _p("HIPAA", "164.308(b)(1)", "Business associate contracts", "Signed BAA with AWS and any hosted-model vendor"),
    # SOC 2
    _a("SOC 2", "CC6.1", "Logical access security software, infrastructure and architectures", "partial",
       "Points of focus 'restricts logical access', 'uses encryption to protect data', 'considers network "
       "segmentation', 'manages credentials for infrastructure': encryption, public-access blocks, per-namespace "
       "NetworkPolicies, IMDSv2 and gateway authentication are verified; user provisioning is not."),
    _a("SOC 2", "CC6.3", "Role-based access and least privilege", "partial",
       "Least privilege: IAM policies grant no wildcard actions (and scoped writes); role design and access reviews "
       "are the entity's."),
    _a("SOC 2", "CC6.6", "Security measures against threats from outside system boundaries", "partial",
       "Boundary: no security group open to the internet beyond 80/443, private or CIDR-restricted EKS endpoints, "
       "databases and buckets not public, a WAF in front of internet-facing load balancers."),
    _a("SOC 2", "CC6.7", "Restricts transmission, movement and removal of information", "partial",
       f"Transmission: {_TLS}; removal via media and endpoints is out of scope."),
    _a("SOC 2", "CC6.8", "Prevents or detects unauthorized or malicious software", "partial",
       "Point of focus 'restricts installation and modification of software': images and Helm charts are pinned "
       "to exact versions (digests in prod), ECR tags are immutable and scanned on push; anti-malware is not checked."),
    _a("SOC 2", "CC7.1", "Detection and monitoring of configuration changes and vulnerabilities", "partial",
       "Point of focus 'uses defined configuration standards': IMDSv2, seccomp, Pod Security Standards, "
       "non-root and unprivileged containers; EKS versions in standard support and ECR scan-on-push find "
       "vulnerabilities. Ongoing monitoring for drift is not verified by a preview-time policy."),
    _a("SOC 2", "CC7.2", "Monitors system components for anomalies", "partial",
       f"The monitoring inputs exist: {_LOGS}; the anomaly analysis and alerting on them are not verified."),
    _a("SOC 2", "CC8.1", "Change management: authorizes, tests and implements changes", "partial",
       "Changes are deterministic and exceptions authorised: pinned charts and images, stack config present, every "
       "suppression approved with a ticket and expiry; change approval records are the entity's."),
    _a("SOC 2", "A1.1", "Capacity management", "partial",
       "Capacity limits are declared: Karpenter NodePool limits, container requests/limits, gateway rate and "
       "max_tokens limits, budgets with alerts; capacity forecasting is the entity's."),
    _a("SOC 2", "A1.2", "Environmental protections, backup and recovery infrastructure", "partial",
       "Recovery infrastructure: versioned buckets, RDS backups and deletion protection, PodDisruptionBudgets and "
       "2+ model-server replicas in prod; environmental protections are AWS's (SOC 2 report of AWS)."),
    _p("SOC 2", "CC3.2", "Risk identification and analysis", "Annual risk assessment including LLM-specific risks"),
    _p("SOC 2", "CC7.4", "Incident response", "Incident response plan and post-incident reviews"),
    _p("SOC 2", "CC9.2", "Vendor and business partner risk", "Vendor reviews of AWS, model providers, chart authors"),
    # GDPR
    _a("GDPR", "Art. 5(1)(e)", "Storage limitation", "partial",
       "Log groups, which may hold prompts, expire their data; retention of data in buckets and databases is the "
       "controller's decision and not checked."),
    _a("GDPR", "Art. 5(1)(f)", "Integrity and confidentiality", "partial",
       f"'Appropriate security ... using appropriate technical measures': {_ENCRYPTION}."),
    _a("GDPR", "Art. 25", "Data protection by design and by default", "partial",
       "By default nothing is public: buckets block public access and the gateway requires a key; data "
       "minimisation in prompts is the controller's design."),
    _a("GDPR", "Art. 32", "Security of processing", "partial",
       f"Art. 32(1)(a) names encryption: {_ENCRYPTION}, and {_TLS}; testing and evaluation (32(1)(d)) are not."),
    _a("GDPR", "Art. 44", "General principle for transfers to third countries", "partial",
       "Every AWS provider and resource region is inside the declared residency allowlist; transfers through "
       "hosted-model providers and support access are covered by the transfer mechanism, not by a policy."),
    _p("GDPR", "Art. 30", "Records of processing activities",
       "RoPA entry naming prompts/completions as processed data"),
    _p("GDPR", "Art. 33", "Notification of a personal data breach", "72-hour breach notification procedure"),
    _p("GDPR", "Art. 35", "Data protection impact assessment", "DPIA for the LLM use case"),
    # PCI DSS v4.0
    _a("PCI DSS", "1.3.1", "Inbound traffic to the CDE is restricted", "partial",
       "Security groups admit the internet only on 80/443 and EKS endpoints are private or CIDR-restricted; "
       "whether the remaining allowed traffic is 'necessary' is the assessor's review of the rules."),
    _a("PCI DSS", "1.4.4", "System components that store cardholder data are not directly accessible from "
       "untrusted networks", "partial",
       "Databases are not publicly accessible and buckets block public ACLs and policies; other stores reachable "
       "through a public load balancer are not traced."),
    _a("PCI DSS", "2.2.1", "Configuration standards are implemented", "partial",
       "The platform's configuration standard is enforced as code: IMDSv2, seccomp, non-root, no privileged "
       "containers or host paths, pinned charts and images; the written standard itself is the entity's."),
    _a("PCI DSS", "3.7.4", "Cryptographic key changes at the end of the cryptoperiod", "partial",
       "KMS automatic rotation (yearly key material change) is on; the defined cryptoperiod is the entity's."),
    _a("PCI DSS", "3.4.1", "PAN is masked when displayed", "partial",
       "The gateway masks card numbers (and other PII patterns) in every answer before a client sees it; screens and "
       "reports outside the gateway are not covered, and who may see full PAN is the entity's business need."),
    _a("PCI DSS", "4.2.1", "Strong cryptography protects PAN during transmission over open networks", "partial",
       f"At the public edge {_TLS}; certificate validity and trusted keys (4.2.1.1) are not checked."),
    _a("PCI DSS", "6.4.2", "An automated technical solution protects public-facing web applications", "partial",
       "Every internet-facing load balancer has a WAF web ACL associated; whether the ACL blocks or alerts on "
       "web attacks and is logged is not checked."),
    _a("PCI DSS", "7.2.2", "Access is assigned on least privileges", "partial",
       "IAM policies grant no wildcard actions; job-function role design is the entity's."),
    _a("PCI DSS", "8.6.2", "Passwords for application and system accounts are not hard coded", "full",
       "The gateway's master key must be an os.environ/ reference fed from a secret, never a literal in the "
       "config file."),
    _a("PCI DSS", "10.2.1", "Audit logs are enabled and active for all system components", "partial",
       f"{_LOGS[0].upper()}{_LOGS[1:]}; database and in-container application audit logs are not checked."),
    _a("PCI DSS", "10.3.2", "Audit log files are protected from modification", "partial",
       "The CloudTrail bucket has Object Lock and the trail validates log files; CloudWatch log groups rely on IAM."),
    _a("PCI DSS", "10.5.1", "Audit log history is retained for at least 12 months", "partial",
       "CloudWatch log groups keep 365+ days; retention of S3-delivered logs is the Object Lock rule's."),
    _p("PCI DSS", "3.5.1", "PAN is rendered unreadable wherever it is stored",
       "Design of application-level tokenisation, truncation or field encryption of PAN: disk- and storage-level "
       "encryption (EBS, RDS, S3 SSE) does not meet 3.5.1 for non-removable media (3.5.1.2), so no policy is mapped"),
    _p("PCI DSS", "8.3.1", "User and administrator access is authenticated",
       "Identity-provider configuration for people (ALB OIDC, console SSO): the gateway master key and virtual keys "
       "are application/system credentials (requirement 8.6), so no policy is mapped here"),
    _p("PCI DSS", "12.10.1", "An incident response plan exists", "Tested incident response plan"),
    # ISO/IEC 27001:2022 Annex A
    _a("ISO 27001", "A.5.9", "Inventory of information and other associated assets", "partial",
       "Every AWS resource carries owner, cost-center, preset and environment tags through provider default tags."),
    _a("ISO 27001", "A.5.15", "Access control", "partial",
       "Technical access rules: no public buckets, customer-managed key policies; the access-control policy "
       "document is the organisation's."),
    _a("ISO 27001", "A.5.23", "Information security for use of cloud services", "partial",
       "Cloud use stays inside the residency allowlist, is tagged and budgeted."),
    _a("ISO 27001", "A.5.30", "ICT readiness for business continuity", "partial",
       "Deletion protection, PodDisruptionBudgets and 2+ model-server replicas in prod; continuity plans and "
       "exercises are the organisation's."),
    _a("ISO 27001", "A.8.2", "Privileged access rights", "partial",
       "IAM policies grant no wildcard actions, so no role is implicitly administrator."),
    _a("ISO 27001", "A.8.5", "Secure authentication", "partial",
       "The gateway requires a key held in a secret store; in regulated stacks people reach the admin UI only "
       "after signing in at the IdP (ALB authenticate-oidc); the IdP's own authentication is not checked."),
    _a("ISO 27001", "A.8.6", "Capacity management", "partial",
       "Capacity limits: NodePool limits, container requests/limits, gateway rate and token limits, budgets."),
    _a("ISO 27001", "A.8.8", "Management of technical vulnerabilities", "partial",
       "EKS versions keep standard support (patches) and ECR scans images on push; remediation is not checked."),
    _a("ISO 27001", "A.8.9", "Configuration management", "partial",
       "Secure configurations are enforced as code (pod security, IMDSv2, pinned versions, stack config present)."),
    _a("ISO 27001", "A.8.13", "Information backup", "partial",
       "S3 versioning and RDS backups of 7+ days; backup tests are the organisation's."),
    _a("ISO 27001", "A.8.15", "Logging", "partial",
       f"{_LOGS[0].upper()}{_LOGS[1:]}, protected (Object Lock, validation, KMS) and retained."),
    _a("ISO 27001", "A.8.16", "Monitoring activities", "partial",
       "VPC flow logs and probes feed monitoring; the monitoring process itself is not checked."),
    _a("ISO 27001", "A.8.20", "Networks security", "partial",
       "Security groups, private EKS endpoints, databases not public."),
    _a("ISO 27001", "A.8.22", "Segregation of networks", "partial",
       "Every workload namespace has a NetworkPolicy, pods share no host namespaces, the EKS API is private."),
    _a("ISO 27001", "A.8.24", "Use of cryptography", "partial", f"{_ENCRYPTION[0].upper()}{_ENCRYPTION[1:]}, "
       f"with customer-managed keys that rotate, and {_TLS}."),
    _p("ISO 27001", "A.5.24", "Incident management planning and preparation", "Incident management procedure"),
    _p("ISO 27001", "A.8.32", "Change management", "Change approval records (PR reviews, preview output)"),
    # EU AI Act
    _a("EU AI Act", "Art. 12", "Record-keeping: automatic logging of events", "partial",
       "The gateway, the system's single entry point, logs every request to an event sink (Art. 12(1): automatic "
       "recording over the lifetime); whether the logged fields meet Art. 12(2)-(3) is the provider's to show. "
       "Network and cloud audit logs are not AI-system event records and are not mapped here."),
    _a("EU AI Act", "Art. 15", "Accuracy, robustness and cybersecurity", "partial",
       "Art. 15(4) redundancy and 15(5) resilience against misuse: 2+ model-server replicas with a PDB, gateway "
       "rate and token limits, a WAF; accuracy (15(1)-(3)) is the eval gate's, not a policy's."),
    _a("EU AI Act", "Art. 19", "Automatically generated logs kept for at least six months", "partial",
       "CloudWatch log groups, where the gateway logs land, keep 365+ days; S3 event sinks are not checked."),
    _p("EU AI Act", "Art. 9", "Risk management system", "Documented AI risk management process"),
    _p("EU AI Act", "Art. 11", "Technical documentation", "Annex IV technical documentation"),
    _p("EU AI Act", "Art. 13", "Transparency and provision of information to deployers", "Instructions for use"),
    _p("EU AI Act", "Art. 14", "Human oversight", "Named overseers, override/stop procedure, training records"),
    # NIST SP 800-53 Rev. 5
    _a("NIST 800-53", "AC-3", "Access Enforcement", "partial",
       "Approved authorizations are enforced: bucket public-access blocks, KMS key policies, the gateway key."),
    _a("NIST 800-53", "AC-4", "Information Flow Enforcement", "partial",
       "Per-namespace NetworkPolicies and no host namespaces control flows between workloads."),
    _a("NIST 800-53", "AC-6", "Least Privilege", "partial",
       "IAM grants no wildcard actions; containers run non-root, unprivileged, with capabilities dropped "
       "(least privilege for processes)."),
    _a("NIST 800-53", "AU-2", "Event Logging", "partial",
       f"The logging capability exists: {_LOGS}; the organisation's event selection is not checked."),
    _a("NIST 800-53", "AU-9", "Protection of Audit Information", "partial",
       "Object Lock audit bucket, CloudTrail log-file validation and KMS encryption (AU-9(3))."),
    _a("NIST 800-53", "AU-11", "Audit Record Retention", "partial",
       "CloudWatch log groups keep 365+ days; the organisation-defined period is the organisation's."),
    _a("NIST 800-53", "AU-12", "Audit Record Generation", "partial",
       f"Audit records are generated: {_LOGS}."),
    _a("NIST 800-53", "CM-2", "Baseline Configuration", "partial",
       "The baseline is code with exact versions: pinned Helm charts, pinned images (digests in prod), immutable "
       "ECR tags."),
    _a("NIST 800-53", "CM-6", "Configuration Settings", "partial",
       "Mandatory settings enforced at preview: IMDSv2, seccomp RuntimeDefault, Pod Security Standard labels."),
    _a("NIST 800-53", "CM-8", "System Component Inventory", "partial",
       "Provider default tags give every AWS resource its owner, cost-center, preset and environment."),
    _a("NIST 800-53", "CP-9", "System Backup", "partial", "S3 versioning and RDS automated backups of 7+ days."),
    _a("NIST 800-53", "CP-10", "System Recovery and Reconstitution", "partial",
       "Deletion protection, PodDisruptionBudgets and 2+ model-server replicas in prod keep recovery possible."),
    _a("NIST 800-53", "IA-5(7)", "No Embedded Unencrypted Static Authenticators", "full",
       "The gateway master key is an os.environ/ reference fed from a secret, never a literal in the config."),
    _a("NIST 800-53", "SA-9(5)", "Processing, Storage, and Service Location", "partial",
       "Every AWS provider and resource region is inside the declared residency allowlist."),
    _a("NIST 800-53", "SC-6", "Resource Availability", "partial",
       "Karpenter NodePool limits, container requests/limits, gateway rate and token limits."),
    _a("NIST 800-53", "SC-7", "Boundary Protection", "partial",
       "Security groups, private EKS endpoints, non-public databases and buckets, WAF on public load balancers, "
       "NetworkPolicies as internal boundaries."),
    _a("NIST 800-53", "SC-8", "Transmission Confidentiality and Integrity", "partial", f"{_TLS[0].upper()}{_TLS[1:]}."),
    _a("NIST 800-53", "SC-12", "Cryptographic Key Establishment and Management", "partial",
       "Customer-managed KMS keys with automatic rotation; key custody procedures are the organisation's."),
    _a("NIST 800-53", "SC-28", "Protection of Information at Rest", "partial",
       f"{_ENCRYPTION[0].upper()}{_ENCRYPTION[1:]} (SC-28(1) cryptographic protection)."),
    _a("NIST 800-53", "SI-2", "Flaw Remediation", "partial",
       "EKS versions keep standard support (security patches) and ECR scans images on push."),
    _a("NIST 800-53", "SI-15", "Information Output Filtering", "partial",
       "Model output passes the gateway's PII-masking guardrail (mode post_call) before it reaches a client; the "
       "filter is pattern-based, so PII it has no pattern for passes."),
    _a("NIST 800-53", "SI-4", "System Monitoring", "partial",
       "VPC flow logs and readiness/liveness probes are in place; the monitoring objectives are the organisation's."),
    _a("NIST 800-53", "SI-12", "Information Management and Retention", "partial",
       "Log groups expire their data on a declared retention."),
    _p("NIST 800-53", "IA-2", "Identification and Authentication (Organizational Users)",
       "Identity-provider configuration (ALB OIDC, SSO, MFA for privileged accounts)"),
    _p("NIST 800-53", "IR-8", "Incident Response Plan", "Approved incident response plan"),
    _p("NIST 800-53", "RA-3", "Risk Assessment", "Risk assessment covering the LLM platform"),
)


def by_key() -> dict[tuple[str, str], Control]:
    return {(c.framework, c.id): c for c in CONTROLS}
