import type { OrderState } from "../bindings/OrderState";

export const STATE_LABELS: Record<OrderState, string> = {
  accepted: "Accepted",
  partially_filled: "Partially filled",
  filled: "Filled",
  cancelled: "Cancelled",
  rejected: "Rejected",
};

export const isOpen = (state: OrderState) => state === "accepted" || state === "partially_filled";
