"""factory_boy factories, one module per app. Rows that carry consent, grants, datasets or orders
are made through the apps' own services (offer_create, license_grant_create, dataset_create,
order_freeze/order_paid), never by writing those rows by hand."""

from .accounts import (
    BuyerFactory,
    CreatorFactory,
    CreatorProfileFactory,
    MembershipFactory,
    OrganizationFactory,
    StaffFactory,
    UserFactory,
    member_of,
    team_of,
)
from .licensing import (
    CONTEXT,
    DestructionAttestationFactory,
    LicenseGrantFactory,
    ListedWorkFactory,
    ModelDeclarationFactory,
    OfferFactory,
)
from .marketplace import DatasetFactory, OrderFactory, generative_use
from .payouts import FreezeFactory, PayoutAccountFactory
from .uploads import WorkFactory

__all__ = [
    "CONTEXT",
    "BuyerFactory",
    "CreatorFactory",
    "CreatorProfileFactory",
    "DatasetFactory",
    "DestructionAttestationFactory",
    "FreezeFactory",
    "LicenseGrantFactory",
    "ListedWorkFactory",
    "MembershipFactory",
    "ModelDeclarationFactory",
    "OfferFactory",
    "OrderFactory",
    "OrganizationFactory",
    "PayoutAccountFactory",
    "StaffFactory",
    "UserFactory",
    "WorkFactory",
    "generative_use",
    "member_of",
    "team_of",
]
