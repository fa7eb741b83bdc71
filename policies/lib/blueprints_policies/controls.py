"""The control catalog: every control the packs speak to, with its real identifier.

`automated` controls are evidenced by at least one policy (matrix.py enforces it). `process` controls need
people and paperwork (a risk assessment, an incident plan, a DPIA); the report lists them as
"process: reviewer to confirm" with the evidence a reviewer should ask for.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

FRAMEWORKS: dict[str, str] = {
    "HIPAA": "HIPAA Security Rule, 45 CFR Part 164 Subpart C",
    "SOC 2": "AICPA Trust Services Criteria (2017, points of focus revised 2022)",
    "GDPR": "Regulation (EU) 2016/679",
    "PCI DSS": "PCI DSS v4.0",
    "ISO 27001": "ISO/IEC 27001:2022 Annex A",
    "EU AI Act": "Regulation (EU) 2024/1689",
}
SPEC_FRAMEWORKS: dict[str, str] = {
    "soc2": "SOC 2", "hipaa": "HIPAA", "gdpr": "GDPR", "pci-dss": "PCI DSS", "iso27001": "ISO 27001",
    "eu-ai-act": "EU AI Act",
}
"""The platform spec's `compliance.frameworks` ids (blueprints/spec.py `Framework`) -> the names above."""


class Control(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    framework: str
    id: str
    title: str
    kind: Literal["automated", "process"]
    evidence: str | None = None
    """For process controls: what a reviewer should ask for."""


def _a(framework: str, control_id: str, title: str) -> Control:
    return Control(framework=framework, id=control_id, title=title, kind="automated")


def _p(framework: str, control_id: str, title: str, evidence: str) -> Control:
    return Control(framework=framework, id=control_id, title=title, kind="process", evidence=evidence)


CONTROLS: tuple[Control, ...] = (
    # HIPAA Security Rule
    _a("HIPAA", "164.308(a)(7)(ii)(A)", "Contingency plan: data backup plan"),
    _a("HIPAA", "164.312(a)(1)", "Access control"),
    _a("HIPAA", "164.312(a)(2)(iv)", "Encryption and decryption (addressable)"),
    _a("HIPAA", "164.312(b)", "Audit controls"),
    _a("HIPAA", "164.312(c)(1)", "Integrity"),
    _a("HIPAA", "164.312(d)", "Person or entity authentication"),
    _a("HIPAA", "164.312(e)(1)", "Transmission security"),
    _p("HIPAA", "164.308(a)(1)(ii)(A)", "Risk analysis", "A current written risk analysis covering the platform"),
    _p("HIPAA", "164.308(a)(6)(ii)", "Security incident response and reporting", "Incident runbook, on-call rota"),
    _p("HIPAA", "164.308(b)(1)", "Business associate contracts", "Signed BAA with AWS and any hosted-model vendor"),
    # SOC 2
    _a("SOC 2", "CC6.1", "Logical access security software, infrastructure and architectures"),
    _a("SOC 2", "CC6.3", "Role-based access and least privilege"),
    _a("SOC 2", "CC6.6", "Security measures against threats from outside system boundaries"),
    _a("SOC 2", "CC6.7", "Restricts transmission, movement and removal of information"),
    _a("SOC 2", "CC6.8", "Prevents or detects unauthorized or malicious software"),
    _a("SOC 2", "CC7.1", "Detection and monitoring of configuration changes and vulnerabilities"),
    _a("SOC 2", "CC7.2", "Monitors system components for anomalies"),
    _a("SOC 2", "CC8.1", "Change management: authorizes, tests and implements changes"),
    _a("SOC 2", "A1.1", "Capacity management"),
    _a("SOC 2", "A1.2", "Environmental protections, backup and recovery infrastructure"),
    _p("SOC 2", "CC3.2", "Risk identification and analysis", "Annual risk assessment including LLM-specific risks"),
    _p("SOC 2", "CC7.4", "Incident response", "Incident response plan and post-incident reviews"),
    _p("SOC 2", "CC9.2", "Vendor and business partner risk", "Vendor reviews of AWS, model providers, chart authors"),
    # GDPR
    _a("GDPR", "Art. 5(1)(e)", "Storage limitation"),
    _a("GDPR", "Art. 5(1)(f)", "Integrity and confidentiality"),
    _a("GDPR", "Art. 25", "Data protection by design and by default"),
    _a("GDPR", "Art. 32", "Security of processing"),
    _a("GDPR", "Art. 44", "General principle for transfers to third countries"),
    _p("GDPR", "Art. 30", "Records of processing activities",
       "RoPA entry naming prompts/completions as processed data"),
    _p("GDPR", "Art. 33", "Notification of a personal data breach", "72-hour breach notification procedure"),
    _p("GDPR", "Art. 35", "Data protection impact assessment", "DPIA for the LLM use case"),
    # PCI DSS v4.0
    _a("PCI DSS", "1.3.1", "Inbound traffic to the CDE is restricted"),
    _a("PCI DSS", "1.4.1", "NSCs between trusted and untrusted networks"),
    _a("PCI DSS", "2.2.1", "Configuration standards are implemented"),
    _a("PCI DSS", "3.5.1", "PAN is rendered unreadable wherever it is stored"),
    _a("PCI DSS", "3.7.4", "Cryptographic key changes at the end of the cryptoperiod"),
    _a("PCI DSS", "4.2.1", "Strong cryptography protects PAN during transmission over open networks"),
    _a("PCI DSS", "6.4.2", "An automated technical solution protects public-facing web applications"),
    _a("PCI DSS", "7.2.2", "Access is assigned on least privileges"),
    _a("PCI DSS", "8.3.1", "User and administrator access is authenticated"),
    _a("PCI DSS", "10.2.1", "Audit logs are enabled and active for all system components"),
    _a("PCI DSS", "10.3.2", "Audit log files are protected from modification"),
    _a("PCI DSS", "10.5.1", "Audit log history is retained for at least 12 months"),
    _p("PCI DSS", "12.10.1", "An incident response plan exists", "Tested incident response plan"),
    # ISO/IEC 27001:2022 Annex A
    _a("ISO 27001", "A.5.9", "Inventory of information and other associated assets"),
    _a("ISO 27001", "A.5.15", "Access control"),
    _a("ISO 27001", "A.5.23", "Information security for use of cloud services"),
    _a("ISO 27001", "A.5.30", "ICT readiness for business continuity"),
    _a("ISO 27001", "A.8.2", "Privileged access rights"),
    _a("ISO 27001", "A.8.5", "Secure authentication"),
    _a("ISO 27001", "A.8.6", "Capacity management"),
    _a("ISO 27001", "A.8.8", "Management of technical vulnerabilities"),
    _a("ISO 27001", "A.8.9", "Configuration management"),
    _a("ISO 27001", "A.8.13", "Information backup"),
    _a("ISO 27001", "A.8.15", "Logging"),
    _a("ISO 27001", "A.8.16", "Monitoring activities"),
    _a("ISO 27001", "A.8.20", "Networks security"),
    _a("ISO 27001", "A.8.22", "Segregation of networks"),
    _a("ISO 27001", "A.8.24", "Use of cryptography"),
    _p("ISO 27001", "A.5.24", "Incident management planning and preparation", "Incident management procedure"),
    _p("ISO 27001", "A.8.32", "Change management", "Change approval records (PR reviews, preview output)"),
    # EU AI Act
    _a("EU AI Act", "Art. 12", "Record-keeping: automatic logging of events"),
    _a("EU AI Act", "Art. 15", "Accuracy, robustness and cybersecurity"),
    _a("EU AI Act", "Art. 19", "Automatically generated logs kept for at least six months"),
    _p("EU AI Act", "Art. 9", "Risk management system", "Documented AI risk management process"),
    _p("EU AI Act", "Art. 11", "Technical documentation", "Annex IV technical documentation"),
    _p("EU AI Act", "Art. 13", "Transparency and provision of information to deployers", "Instructions for use"),
    _p("EU AI Act", "Art. 14", "Human oversight", "Named overseers, override/stop procedure, training records"),
)


def by_key() -> dict[tuple[str, str], Control]:
    return {(c.framework, c.id): c for c in CONTROLS}
