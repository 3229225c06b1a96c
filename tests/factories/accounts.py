"""Users (creator, buyer with their team, staff), creator profiles, organizations and memberships."""

import factory
from allauth.account.models import EmailAddress

from accounts.models import CreatorProfile, Membership, MembershipRole, Organization, Role, User
from tests.helpers import DEFAULT_PASSWORD


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    role = Role.CREATOR
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.create(
                user=self, email=self.email, primary=True, verified=extracted is not False
            )


class CreatorFactory(UserFactory):
    role = Role.CREATOR
    profile = factory.RelatedFactory(
        "tests.factories.accounts.CreatorProfileFactory", factory_related_name="user"
    )


class CreatorProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreatorProfile

    display_name = factory.Sequence(lambda n: f"Creator {n}")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class BuyerFactory(UserFactory):
    role = Role.BUYER
    membership = factory.RelatedFactory(
        "tests.factories.accounts.MembershipFactory",
        factory_related_name="user",
        role=MembershipRole.OWNER,
    )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    role = MembershipRole.MEMBER


def team_of(user):
    """The one team a buyer made with BuyerFactory belongs to."""
    return user.memberships.get().organization


def member_of(team, role=MembershipRole.MEMBER):
    """Another buyer on `team`, in `role`."""
    user = BuyerFactory(membership=None)
    MembershipFactory(user=user, organization=team, role=role)
    return user


class StaffFactory(UserFactory):
    role = Role.STAFF
    is_staff = True
    is_superuser = True
