"""Writes for licensing: offers and consent (`offers`), license grants (`grants`), and a
license's life after the sale: model declarations (`declarations`), expiry (`expiry`), destruction
attestations (`destruction`) and their duty with the marketplace (`duties`), training notices to
creators (`notices`)."""
