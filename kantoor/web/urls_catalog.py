"""The catalog pages (kantoor.web.views.catalog), included by kantoor.web.urls."""

from django.urls import URLPattern, path

from kantoor.web.views import catalog

urlpatterns: list[URLPattern] = [
    path("catalog/products/", catalog.product_list, name="product-list"),
    path("catalog/products/new/", catalog.product_create, name="product-create"),
    path("catalog/products/import/", catalog.product_import, name="product-import"),
    path("catalog/products/export/", catalog.product_export, name="product-export"),
    path("catalog/products/<int:product_id>/", catalog.product_detail, name="product-detail"),
    path("catalog/products/<int:product_id>/edit/", catalog.product_edit, name="product-edit"),
    path("catalog/products/<int:product_id>/archive/", catalog.product_archive, name="product-archive"),
    path(
        "catalog/products/<int:product_id>/translations/<str:language>/",
        catalog.product_translation,
        name="product-translation",
    ),
    path(
        "catalog/products/<int:product_id>/supplier-prices/",
        catalog.product_supplier_price,
        name="product-supplier-price",
    ),
    path(
        "catalog/supplier-prices/<int:supplier_price_id>/delete/",
        catalog.supplier_price_delete,
        name="supplier-price-delete",
    ),
    path("catalog/units/", catalog.uom_list, name="uom-list"),
    path("catalog/units/<int:uom_id>/", catalog.uom_edit, name="uom-edit"),
    path("catalog/categories/", catalog.product_category_list, name="product-category-list"),
    path(
        "catalog/categories/<int:category_id>/", catalog.product_category_edit, name="product-category-edit"
    ),
    path("catalog/price-lists/", catalog.price_list_list, name="price-list-list"),
    path("catalog/price-lists/<int:price_list_id>/", catalog.price_list_detail, name="price-list-detail"),
    path(
        "catalog/price-lists/<int:price_list_id>/archive/",
        catalog.price_list_archive,
        name="price-list-archive",
    ),
    path(
        "catalog/price-lists/<int:price_list_id>/items/<int:item_id>/delete/",
        catalog.price_list_item_delete,
        name="price-list-item-delete",
    ),
]
