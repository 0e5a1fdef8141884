"""Claim adjustment reason codes (CARCs): what each means, in plain words, and which
category of denial a practice works it as.

Sources: domain.md §5 ("CARCs that matter") and §4.7 (classifying a line), and the X12
Claim Adjustment Reason Code list (https://x12.org/codes/claim-adjustment-reason-codes;
domain.md source [24]). The meanings below are short paraphrases for a practice manager,
not X12's wording; X12 maintains the list and its usage notes (many codes need a remark
code, RARC, to say more).

Categories group the reasons by what the practice does about them, not by the X12 group
code (CO/OA/PI/PR says who bears the amount, not why):

========================  ==================================================================
category                  reasons (CARC) and the usual fix
========================  ==================================================================
eligibility               patient not covered on the date, another payer primary or liable,
                          service not covered by the plan, benefit limit reached, wrong
                          payer, member id and name do not match (19-22, 24, 26, 27, 31-35,
                          49, 96, 109, 119, 140, 149, 166, 177-180, 200, 204, 239, 276, B9,
                          B11). Check eligibility and benefits before the visit; bill the
                          right payer.
authorization             prior authorization, precertification or referral absent,
                          exceeded or not for this service or provider (15, 39, 197, 198,
                          210, 243, 284, 287, 288, 296). Get the authorization before the
                          visit; appeal with it when it existed.
medical_necessity         not medically necessary, diagnosis does not support the service,
                          code or modifier invalid or inconsistent, level, units or
                          frequency not supported, place of service (4-7, 9-12, 40, 50,
                          55, 56, 58, 146, 150-152, 167, 181, 182, 189, 199, 231, 261,
                          272, 273, B12, B14). Fix the coding or appeal with the
                          documentation.
timely_filing             filed or appealed after the payer's time limit (29, 286). Usually
                          a write-off; fix the filing workflow.
duplicate                 exact duplicate, or already paid on an earlier claim (18, B13).
                          Usually not a loss: the first claim was processed.
bundling                  paid as part of another service the same day (NCCI edits and the
                          like: 97, 234, 236, and remark codes N390, N20, N19). Reported
                          separately: it is not a refusal to pay for the visit, and is worth
                          an appeal only when a 59/X modifier was truly warranted.
missing_info              information missing or a billing error, records or attachments
                          asked for and not received, provider id (NPI) missing or wrong
                          (16, 125, 129, 148, 163, 164, 206-208, 226, 227, 250-252). Correct
                          and resubmit.
provider                  the rendering, referring or ordering provider is not enrolled,
                          credentialed or in network for this service (8, 170, 171, 183-185,
                          242, 279, 283, B7). Fix credentialing and enrollment.
other                     any other reason, or none given (e.g. A1 "claim denied", see the
                          remark code).
========================  ==================================================================

A line posting classed ``bundled`` (``underpayments.classify``: CARC 97/234/236 or remark
N390/N20/N19) is always in ``bundling``; a ``denied`` line takes the category of its main
reason (the non-patient reason with the largest amount, else the refusing reason of
``DENIAL_CARCS`` with the largest amount, PR included: ``denials.carc``).
"""

from __future__ import annotations

import pandas as pd

# Category key → words on the page, in the order tables list them.
CATEGORIES: dict[str, str] = {
    "eligibility": "Eligibility and coverage",
    "authorization": "Authorization and referral",
    "medical_necessity": "Medical necessity and coding",
    "timely_filing": "Timely filing",
    "duplicate": "Duplicate claim",
    "missing_info": "Missing information or billing error",
    "provider": "Provider enrollment and network",
    "bundling": "Bundled into another service (NCCI)",
    "other": "Other or no reason given",
}

# What a practice usually does about each category (one line, for the page and the docs).
ACTIONS: dict[str, str] = {
    "eligibility": "Check eligibility and benefits before the visit; bill the right payer.",
    "authorization": "Get the authorization or referral before the visit; appeal with it "
    "when it existed.",
    "medical_necessity": "Fix the coding, or appeal with the documentation that supports it.",
    "timely_filing": "Usually a write-off: fix the filing workflow so claims go out in time.",
    "duplicate": "Usually not a loss: the first claim was processed. Check before resending.",
    "missing_info": "Correct the claim and resubmit.",
    "provider": "Fix the provider's credentialing or enrollment with the payer.",
    "bundling": "Appeal only when a separate-service modifier (59, X) was truly warranted.",
    "other": "Read the remark code on the remittance.",
}

BUNDLING = "bundling"
OTHER = "other"

SEQUESTRATION = "253"  # the 2 % Medicare sequestration: part of allowed, never a denial
# Remark codes (RARCs) that mean "paid as part of another service" (domain §4.7).
BUNDLING_RARCS = frozenset({"N390", "N20", "N19"})

# X12 CAS group codes: who bears the adjusted amount.
GROUP_CODES: dict[str, str] = {
    "CO": "contractual: the practice writes it off, the patient cannot be billed",
    "OA": "other adjustment",
    "PI": "payer-initiated reduction",
    "PR": "patient responsibility",
}

# Reason codes by category, each code with its short meaning (CARCS below: code → (category,
# meaning)). Paraphrased from the X12 list; see the module docstring.
_BY_CATEGORY: tuple[tuple[str, dict[str, str]], ...] = (
    # not denials (domain §5), listed so their meaning can be shown
    (
        OTHER,
        {
            "1": "deductible",
            "2": "coinsurance",
            "3": "copay",
            "23": "effect of the prior payer's payment (secondary claims)",
            "45": "charge above the fee schedule or contracted amount",
            "59": "multiple or concurrent procedure rules",
            "253": "sequestration (federal payment cut)",
        },
    ),
    (
        "eligibility",
        {
            "19": "work injury: workers' compensation is liable",
            "20": "injury covered by a liability carrier",
            "21": "injury covered by a no-fault carrier",
            "22": "another payer may be primary (coordination of benefits)",
            "24": "covered under a capitation or managed-care agreement",
            "26": "service before the coverage started",
            "27": "service after the coverage ended",
            "31": "patient not identified as the payer's member",
            "32": "patient not an eligible dependent",
            "33": "member has no dependent coverage",
            "34": "member has no newborn coverage",
            "35": "lifetime benefit maximum reached",
            "49": "routine or preventive service not covered",
            "96": "non-covered charge (see the remark code)",
            "109": "not this payer's claim: send it to the right payer",
            "119": "benefit maximum for the period reached",
            "140": "member id and name do not match",
            "149": "lifetime benefit maximum reached for this benefit",
            "166": "sent after the payer's responsibility ended",
            "177": "patient does not meet the eligibility requirements",
            "178": "patient has not met the spend-down requirement",
            "179": "patient has not met the waiting period",
            "180": "patient does not meet the residency requirement",
            "200": "service during a lapse in coverage",
            "204": "not covered under the patient's current plan",
            "239": "claim spans covered and uncovered periods: rebill separately",
            "276": "denied by the prior payer and not covered by this one",
            "B9": "patient enrolled in hospice",
            "B11": "sent on to the right payer; not covered by this one",
        },
    ),
    (
        "authorization",
        {
            "15": "authorization number missing, invalid or not for this service",
            "39": "denied when the authorization was requested",
            "197": "prior authorization or precertification absent",
            "198": "authorization exceeded",
            "210": "authorization not obtained in time",
            "243": "not authorized by the network or primary-care provider",
            "284": "authorization does not apply to the billed services",
            "287": "referral exceeded",
            "288": "referral absent",
            "296": "authorization does not apply to this provider",
        },
    ),
    (
        "medical_necessity",
        {
            "4": "modifier inconsistent with the code, or a required one missing",
            "5": "code inconsistent with the place of service",
            "6": "code inconsistent with the patient's age on file",
            "7": "code inconsistent with the patient's sex on file",
            "9": "diagnosis inconsistent with the patient's age on file",
            "10": "diagnosis inconsistent with the patient's sex on file",
            "11": "diagnosis inconsistent with the procedure",
            "12": "diagnosis inconsistent with the provider type",
            "40": "does not qualify as emergency or urgent care",
            "50": "not medically necessary in the payer's view",
            "55": "experimental or investigational in the payer's view",
            "56": "not proven effective in the payer's view",
            "58": "wrong or invalid place of service",
            "146": "diagnosis code invalid on the date of service",
            "150": "documentation does not support the level of service",
            "151": "documentation does not support the units or frequency",
            "152": "documentation does not support the length of service",
            "167": "diagnosis not covered",
            "181": "procedure code invalid on the date of service",
            "182": "modifier invalid on the date of service",
            "189": "unlisted code billed where a specific code exists",
            "199": "revenue code and procedure code do not match",
            "231": "mutually exclusive procedures on the same day",
            "261": "service inconsistent with the patient's history",
            "272": "coverage guidelines not met",
            "273": "coverage guidelines exceeded",
            "B12": "service not documented in the medical record",
            "B14": "only one visit per physician per day is covered",
        },
    ),
    (
        "timely_filing",
        {
            "29": "filing time limit expired",
            "286": "appeal time limit not met",
        },
    ),
    (
        "duplicate",
        {
            "18": "exact duplicate claim or service",
            "B13": "already paid on an earlier claim",
        },
    ),
    # bundling (posting classes these lines "bundled")
    (
        BUNDLING,
        {
            "97": "included in the payment for another service",
            "234": "procedure not paid separately",
            "236": "code pair not allowed together on the same day (NCCI)",
        },
    ),
    (
        "missing_info",
        {
            "16": "information missing or billing error (see the remark code)",
            "125": "submission or billing error",
            "129": "prior processing information appears wrong",
            "148": "information from another provider missing or incomplete",
            "163": "attachment referenced on the claim not received",
            "164": "attachment not received in time",
            "206": "provider id (NPI) missing",
            "207": "provider id (NPI) in an invalid format",
            "208": "provider id (NPI) not matched",
            "226": "information requested from the provider not received",
            "227": "information requested from the patient not received",
            "250": "wrong attachment received",
            "251": "attachment incomplete",
            "252": "attachment or documentation required",
        },
    ),
    (
        "provider",
        {
            "8": "code inconsistent with the provider's type or specialty",
            "170": "not paid when billed by this type of provider",
            "171": "not paid for this provider type in this facility",
            "183": "referring provider not eligible to refer this service",
            "184": "ordering provider not eligible to order this service",
            "185": "rendering provider not eligible for this service",
            "242": "not provided by a network or primary-care provider",
            "279": "not provided by a preferred-network provider",
            "283": "attending provider not eligible to direct care",
            "B7": "provider not certified or eligible on the date of service",
        },
    ),
    (
        OTHER,
        {
            "A1": "claim or service denied (see the remark code)",
        },
    ),
)
CARCS: dict[str, tuple[str, str]] = {
    code: (category, text) for category, codes in _BY_CATEGORY for code, text in codes.items()
}

# Reasons that mean "paid as part of another service": posting classes such lines bundled.
BUNDLING_CARCS = frozenset(code for code, (category, _) in CARCS.items() if category == BUNDLING)

# Reasons that refuse payment (domain §5): a line paid nothing with one of these, under any
# group code (CO-29, PR-96, OA-18 alike), is a denial. Every listed code but the "not a
# denial" ones (deductible, coinsurance, contractual, sequestration...) and bundling.
DENIAL_CARCS = frozenset(
    code for code, (category, _) in CARCS.items() if category not in (OTHER, BUNDLING)
) | {"A1"}

NO_REASON = "no reason code given"


def _codes(carc: pd.Series) -> pd.Series:
    """Codes as the table keys them: text, no spaces, upper case ('b7' → 'B7')."""
    return carc.astype("string").str.strip().str.upper()


def category_of(carc: pd.Series, denial_class: pd.Series | None = None) -> pd.Series:
    """The ``CATEGORIES`` key of each reason code; ``bundling`` for every line whose
    ``denial_class`` is 'bundled'; ``other`` for a code not listed or missing."""
    known = {code: category for code, (category, _) in CARCS.items()}
    out = _codes(carc).map(known).fillna(OTHER).astype("str")
    if denial_class is not None:
        out = out.where(~denial_class.eq("bundled").fillna(False).astype(bool), BUNDLING)
    return out


def meaning(carc: pd.Series) -> pd.Series:
    """Short plain-words meaning of each code; 'reason code N (see the X12 list)' for one
    not listed here, ``NO_REASON`` when missing."""
    codes = _codes(carc)
    words = codes.map({code: text for code, (_, text) in CARCS.items()})
    unknown = "reason code " + codes.fillna("") + " (see the X12 list)"
    out = words.fillna(unknown).where(codes.notna(), NO_REASON)
    return out.astype("str")


def category_label(category: pd.Series) -> pd.Series:
    """The words for each ``CATEGORIES`` key."""
    return category.map(CATEGORIES).fillna(category).astype("str")


def reference() -> pd.DataFrame:
    """The whole table: carc, category, category_label, meaning (for docs and staff)."""
    codes = pd.Series(list(CARCS), dtype="str")
    return pd.DataFrame(
        {
            "carc": codes,
            "category": category_of(codes),
            "category_label": category_label(category_of(codes)),
            "meaning": meaning(codes),
        }
    )
