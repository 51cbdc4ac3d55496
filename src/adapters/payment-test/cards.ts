/** Stripe's published test cards (https://docs.stripe.com/testing) and what each one does here. */
type Refusal = { code: string; declineCode: string | null; message: string }

const declined: Refusal = {
  code: 'card_declined',
  declineCode: 'generic_decline',
  message: 'Your card was declined.',
}

const cards: Record<string, { authorize?: Refusal; capture?: Refusal }> = {
  '4242424242424242': {},
  '4000000000000002': { authorize: declined },
  '4000000000009995': {
    authorize: {
      code: 'card_declined',
      declineCode: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
    },
  },
  // Attaches and authorizes, then the charge fails.
  '4000000000000341': { capture: declined },
}

/** Test payment method tokens (`payment_method=pm_card_visa`) and the card each stands for. */
export const testTokens: Record<string, string> = {
  pm_card_visa: '4242424242424242',
  pm_card_chargeDeclined: '4000000000000002',
  pm_card_chargeDeclinedInsufficientFunds: '4000000000009995',
  pm_card_chargeCustomerFail: '4000000000000341',
}

export function outcomeOfCard(number: string): { authorize?: Refusal; capture?: Refusal } {
  return (
    cards[number] ?? {
      authorize: {
        code: 'incorrect_number',
        declineCode: null,
        message: 'Your card number is incorrect.',
      },
    }
  )
}
